// Names, inputs and attributes of the engine's custom tfjs kernels (tfjs's own layout, STYLE.md §6).
import type { TensorInfo } from '@tensorflow/tfjs';

/**
 * Batched matmul [batch, M, K] @ [batch, K, N] -> [batch, M, N] (no transposes, no broadcasting),
 * run as one plain 2D matmul per batch entry so that every product takes the backend's fast path.
 */
export const BatchMatMulLooped = 'BatchMatMulLooped';
export interface BatchMatMulLoopedInputs {
  a: TensorInfo; // [batch, M, K]
  b: TensorInfo; // [batch, K, N]
}

/**
 * Row lookup: table [V, C] float32, ids [N] int32 -> [N, C] with out[n] = table[ids[n]].
 * Same result as tf.gather(table, ids) (axis 0); out-of-range ids throw. No registered gradient:
 * ops/embedding.ts wraps it in a customGrad whose gradient is a scatter-add on every backend.
 */
export const GatherRows = 'GatherRows';
export interface GatherRowsInputs {
  table: TensorInfo; // [V, C] float32
  ids: TensorInfo; // [N] int32
}
