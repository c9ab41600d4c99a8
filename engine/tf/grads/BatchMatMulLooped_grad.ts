// Gradient of BatchMatMulLooped, written in ops so it runs on every backend:
// dA = dY @ B^T and dB = A^T @ dY, with explicit transposes so both products stay untransposed.
import * as tf from '@tensorflow/tfjs';
import type { GradConfig } from '@tensorflow/tfjs';
import { BatchMatMulLooped } from '../names';
import { batchMatMulLooped } from '../ops/batchMatMulLooped';
import { transposeLast2 } from '../ops/transposeLast2';

export const batchMatMulLoopedGradConfig: GradConfig = {
  kernelName: BatchMatMulLooped,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
    const [a, b] = saved;
    const g = dy as tf.Tensor;
    return {
      a: () => batchMatMulLooped(g, transposeLast2(b)), // [b, M, N] @ [b, N, K]
      b: () => batchMatMulLooped(transposeLast2(a), g), // [b, K, M] @ [b, M, N]
    };
  },
};
