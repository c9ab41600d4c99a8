// How many threads a run's matmuls get on the native BLAS (engine/node/blas.ts).
// Measured on an idle 2-core machine (bench/OPTIMIZATIONS.md, "Threads that pay"): a second thread
// pays for products at least 192 wide (d_model 256 at 1,024 tokens: 1.5x; M: 1.4x) once they hold
// 131,072 tokens x width, and for narrow ones (d_model 128) only from about 1M tokens x width
// (8,192 tokens: 1.18x). The quality config (4,096 tokens x 128) gained 0.96-1.09x for twice the
// CPU, and R lost. So one thread below those sizes, up to 4 cores above, unless PRETRAIN_BLAS_THREADS
// says otherwise.
import type { Plan } from '../plan';
import { productShape } from '../plan-matmul-size';
import { askedBlasThreads } from './blas';

/** Narrower products than this need NARROW_WORK_FOR_BLAS_THREADS to gain from threads. */
export const WIDE_PRODUCT = 192;
export const MIN_WORK_FOR_BLAS_THREADS = 131_072;
export const NARROW_WORK_FOR_BLAS_THREADS = 1_048_576;
const MAX_AUTO_THREADS = 4;

/** Whether a second BLAS thread pays for products of this many tokens and this width. */
export function threadsPay(tokens: number, width: number): boolean {
  const work = tokens * width;
  return work >= NARROW_WORK_FOR_BLAS_THREADS || (width >= WIDE_PRODUCT && work >= MIN_WORK_FOR_BLAS_THREADS);
}

/**
 * @example blasThreadsFor(planOfM, {}, 16) // 4; blasThreadsFor(planOfR, {}, 16) // 1
 */
export function blasThreadsFor(plan: Plan, env: Record<string, string | undefined>, cores: number): number {
  const { tokens, width } = productShape(plan);
  return askedBlasThreads(env) ?? (threadsPay(tokens, width) ? Math.max(1, Math.min(MAX_AUTO_THREADS, cores)) : 1);
}
