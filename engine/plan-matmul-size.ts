// How big a plan's matrix products are, for choosing threads: products this small lose more to
// handing work to other threads than they gain (engine/browser/wasm-threads.ts, engine/node/blas-threads.ts).
import { modelConfigOf } from './nodes/model';
import type { Plan } from './plan';

/** The model's largest products: tokens per micro-batch and the widest model's width. */
export interface ProductShape {
  /** Batch x context of the largest get_batch. */
  tokens: number;
  /** The widest model's d_model, or its query width n_heads x head_dim when head_dim makes that wider. */
  width: number;
}

/**
 * @example productShape(smokePlan) // { tokens: 64, width: 32 }
 */
export function productShape(plan: Plan): ProductShape {
  const num = (node: Plan['nodes'][number], key: string) => Number(node.params[key] ?? 0);
  const tokens = Math.max(0, ...plan.nodes.filter((n) => n.kind === 'get_batch').map((n) => num(n, 'batch_size') * num(n, 'context_length')));
  const width = Math.max(
    0,
    ...plan.nodes
      .filter((n) => n.kind === 'model')
      .map((n) => {
        const c = modelConfigOf(n).config;
        return c ? Math.max(c.dModel, c.nHeads * (c.headDim ?? c.dModel / c.nHeads)) : 0;
      }),
  );
  return { tokens, width };
}

/**
 * Rows x width of the model's largest products (productShape's tokens x width).
 * @example productWork(smokePlan) // 64 tokens x d_model 32 = 2048
 */
export function productWork(plan: Plan): number {
  const { tokens, width } = productShape(plan);
  return tokens * width;
}
