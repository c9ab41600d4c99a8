// Every optimizer kind's tfjs update, one per kind of ../kinds/index.ts (the Record's type makes a
// missing one a compile error). Only the runtime imports this; the canvas reads the definitions.
import type { OptimizerKind } from '../kinds';
import { adagradUpdate } from './adagrad';
import { adamUpdate } from './adam';
import { adamwUpdate } from './adamw';
import type { OptimizerUpdate } from './define';
import { lionUpdate } from './lion';
import { muonUpdate } from './muon';
import { sgdUpdate } from './sgd';

export const OPTIMIZER_UPDATES: Record<OptimizerKind, OptimizerUpdate> = {
  adamw: adamwUpdate,
  adam: adamUpdate,
  sgd: sgdUpdate,
  adagrad: adagradUpdate,
  lion: lionUpdate,
  muon: muonUpdate,
};
