// How many threads a run's matmuls get on the native BLAS (engine/node/blas.ts).
// Measured on 2 cores (bench/OPTIMIZATIONS.md): R and S16 (1,024 tokens x d_model 128 per
// micro-batch) gained nothing from a second thread and spent twice the CPU; M (1,024 x 512) ran
// 1.45x faster. So one thread below MIN_WORK_FOR_BLAS_THREADS, and up to 4 cores above it, unless
// PRETRAIN_BLAS_THREADS says otherwise.
import type { Plan } from '../plan';
import { productWork } from '../plan-matmul-size';
import { askedBlasThreads } from './blas';

export const MIN_WORK_FOR_BLAS_THREADS = 262_144;
const MAX_AUTO_THREADS = 4;

/**
 * @example blasThreadsFor(planOfM, {}, 16) // 4; blasThreadsFor(planOfR, {}, 16) // 1
 */
export function blasThreadsFor(plan: Plan, env: Record<string, string | undefined>, cores: number): number {
  return askedBlasThreads(env) ?? (productWork(plan) < MIN_WORK_FOR_BLAS_THREADS ? 1 : Math.max(1, Math.min(MAX_AUTO_THREADS, cores)));
}
