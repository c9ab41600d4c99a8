// Every optimizer kind's tfjs update, one per kind of ../kinds/ (an update is the file named after
// its kind here; `npm run gen` lists them in generated-list.ts, a Record over the kinds, so a kind
// without one is a compile error that names it). Only the runtime imports this; the canvas reads the
// definitions.
import type { OptimizerKind } from '../kinds';
import type { OptimizerUpdate } from './define';
import { UPDATES_BY_KIND } from './generated-list';

export const OPTIMIZER_UPDATES: Readonly<Record<OptimizerKind, OptimizerUpdate>> = UPDATES_BY_KIND;
