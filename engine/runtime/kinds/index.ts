// How every node kind runs, one implementation per kind of engine/nodes/index.ts. Only the runtime
// imports this (with tfjs behind it); the canvas reads the definitions alone.
import type { AnyNodeImplementation } from '../../nodes/define';
import type { Registry } from '../../nodes/registry';
import { backwardImplementation } from './backward';
import { checkpointImplementation } from './checkpoint';
import { clipImplementation } from './clip';
import { datasetImplementation } from './dataset';
import { evaluateImplementation } from './eval';
import { getBatchImplementation } from './get_batch';
import { logImplementation } from './log';
import { lossImplementation } from './loss';
import { modelImplementation } from './model';
import { optimizerImplementation } from './optimizer';
import { sampleImplementation } from './sample';
import { schedulerImplementation } from './scheduler';

export type Implementations = ReadonlyMap<string, AnyNodeImplementation>;

const IMPLEMENTATIONS = [
  datasetImplementation,
  getBatchImplementation,
  modelImplementation,
  lossImplementation,
  backwardImplementation,
  clipImplementation,
  optimizerImplementation,
  schedulerImplementation,
  evaluateImplementation,
  checkpointImplementation,
  logImplementation,
  sampleImplementation,
] as unknown as readonly AnyNodeImplementation[];

/**
 * Implementations by kind; each kind of `registry` must have exactly one, or this throws (a bug).
 * @example implementationsFor(registry).get('clip')!.create({ max_norm: 1 }, setup)
 */
export function implementationsFor(registry: Registry, list: readonly AnyNodeImplementation[] = IMPLEMENTATIONS): Implementations {
  const byKind = new Map<string, AnyNodeImplementation>();
  for (const implementation of list) {
    if (byKind.has(implementation.kind)) throw new Error(`node kind '${implementation.kind}' is implemented twice`);
    if (!registry.has(implementation.kind)) throw new Error(`node kind '${implementation.kind}' is implemented but not declared`);
    byKind.set(implementation.kind, implementation);
  }
  for (const kind of registry.keys()) if (!byKind.has(kind)) throw new Error(`node kind '${kind}' is declared but not implemented`);
  return byKind;
}
