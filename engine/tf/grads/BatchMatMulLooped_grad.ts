// Gradient of BatchMatMulLooped: dA = dY @ B^T and dB = A^T @ dY, with explicit transposes so both
// products stay untransposed. The forward kernel ran, so this backend has BatchMatMulLooped and
// TransposeLast2 (both wasm); the gradient calls them directly, not through the ops.
import type * as tf from '@tensorflow/tfjs-core';
import type { GradConfig } from '@tensorflow/tfjs-core';
import { BatchMatMulLooped, TransposeLast2 } from '../names';
import { runKernel } from '../runKernel';

const matMul = (a: tf.Tensor, b: tf.Tensor) => runKernel(BatchMatMulLooped, { a, b }) as tf.Tensor;
const transposeLast2 = (x: tf.Tensor) => runKernel(TransposeLast2, { x }) as tf.Tensor;

export const batchMatMulLoopedGradConfig: GradConfig = {
  kernelName: BatchMatMulLooped,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
    const [a, b] = saved;
    const g = dy as tf.Tensor;
    return {
      a: () => matMul(g, transposeLast2(b)), // [batch, M, N] @ [batch, N, K]
      b: () => matMul(transposeLast2(a), g), // [batch, K, M] @ [batch, M, N]
    };
  },
};
