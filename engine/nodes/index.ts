// Every node kind, in palette order. Add a kind here and it appears everywhere.
import { backward } from './backward';
import { checkpoint } from './checkpoint';
import { clip } from './clip';
import { dataset } from './dataset';
import type { AnyNodeDefinition } from './define';
import { evaluate } from './eval';
import { get_batch } from './get_batch';
import { log } from './log';
import { loss } from './loss';
import { model } from './model';
import { optimizer } from './optimizer';
import { createRegistry } from './registry';
import { sample } from './sample';
import { scheduler } from './scheduler';

export const NODE_KINDS = [
  dataset,
  get_batch,
  model,
  loss,
  backward,
  clip,
  optimizer,
  scheduler,
  evaluate,
  checkpoint,
  log,
  sample,
] as unknown as readonly AnyNodeDefinition[];

export const registry = createRegistry(NODE_KINDS);
