// What to tell a user whose run needs more memory than it may take: one problem on each node that
// holds a large share of the estimate, naming the params that shrink it. The server refuses with
// these (server/runs/memory-budget.ts), the page with the same for a run in the tab.
import type { Plan } from '../plan';
import { formatBytes, type MemoryEstimate } from './estimate';

/** A problem addressed like the compiler's diagnostics. */
export interface MemoryProblem {
  nodeId: string;
  field: string;
  code: 'memory';
  message: string;
}

/** A node that holds less than this share of what the params decide (all but the runtime's) is not named. */
const NAMED_SHARE = 0.1;

const HELD_BY_KIND: Record<string, string> = {
  model: 'weights, gradients and optimizer state',
  get_batch: "one micro-batch's activations",
  optimizer: 'optimizer state',
  eval: 'an evaluation batch',
  sample: 'generation',
};

/**
 * The problems of a run over `budget` bytes; `limit` names the budget ("this server's budget of
 * 8.00 GB per run (MAX_RUN_MEMORY)"). Empty when the estimate fits.
 * @example
 *   overBudgetProblems(plan, estimate, 2e9, "this server's budget of 2.00 GB per run (MAX_RUN_MEMORY)");
 *   // [{ nodeId: 'get_batch', field: 'context_length', code: 'memory', message: 'the run needs an estimated 282 TB, over ...: shrink context_length, batch_size' }]
 */
export function overBudgetProblems(plan: Plan, estimate: MemoryEstimate, budget: number, limit: string): MemoryProblem[] {
  const total = estimate.bytes.total;
  if (total <= budget) return [];
  const kinds = new Map(plan.nodes.map((n) => [n.id, n.kind]));
  const shrinkable = total - estimate.bytes.runtime;
  const summary = `the run needs an estimated ${formatBytes(total)}, over ${limit}`;
  return Object.entries(estimate.nodes)
    .filter(([, n]) => n.bytes >= NAMED_SHARE * shrinkable && n.fields.length > 0)
    .sort((a, b) => b[1].bytes - a[1].bytes)
    .map(([nodeId, n]) => ({
      nodeId,
      field: n.fields[0],
      code: 'memory' as const,
      message: `${summary}; ${HELD_BY_KIND[kinds.get(nodeId) ?? ''] ?? 'this node'} take ${formatBytes(n.bytes)} here: shrink ${n.fields.join(', ')}`,
    }));
}
