// The executors this server knows, one file each; the submission schema, the run statuses, the
// run manager and GET /api/executors read them from here. Their names and labels, which the studio
// needs too, are in engine/executors.ts.
import { DEFAULT_EXECUTOR, type ExecutorName } from '../../../engine/executors';
import { browserExecutor } from './browser';
import type { ServerExecutor } from './executor';
import { nodeExecutor } from './node';
import { torchExecutor } from './torch';

export type { ExecutorServer, RunChannel, ServerExecutor } from './executor';

/** By name, in the order GET /api/executors lists them. */
export const EXECUTORS = {
  node: nodeExecutor,
  torch: torchExecutor,
  browser: browserExecutor,
} as const satisfies Record<ExecutorName, ServerExecutor>;

/**
 * The executor named `name` (the default when none is named).
 * @example executorFor('torch').request.settings // the `torch` field's schema
 */
export function executorFor(name: ExecutorName = DEFAULT_EXECUTOR): ServerExecutor {
  return EXECUTORS[name];
}
