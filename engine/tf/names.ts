// Names, inputs and attributes of the engine's custom tfjs kernels (tfjs's own layout, STYLE.md §6).
import type { NamedTensorInfoMap } from '@tensorflow/tfjs';

/**
 * Batched matmul [batch, M, K] @ [batch, K, N] -> [batch, M, N] (no transposes, no broadcasting),
 * run as one plain 2D matmul per batch entry so that every product takes the backend's fast path.
 */
export const BatchMatMulLooped = 'BatchMatMulLooped';
export type BatchMatMulLoopedInputs = Pick<NamedTensorInfoMap, 'a' | 'b'>;
