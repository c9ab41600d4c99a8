// Swapping the last two axes, as a fast copy on wasm and cpu (kernels/js/TransposeLast2.ts) and
// tf.transpose elsewhere. Used by the matmul gradients, which transpose an operand per product.
import * as tf from '@tensorflow/tfjs-core';
import { TransposeLast2, type TransposeLast2Inputs } from '../names';
import { hasKernel } from '../register';
import { runKernel } from '../runKernel';

function transposeLast2_(x: tf.Tensor): tf.Tensor {
  const r = x.rank;
  if (r < 2) throw new Error(`transposeLast2: need rank >= 2, got [${x.shape}]`);
  if (x.dtype !== 'float32' || !hasKernel(TransposeLast2)) {
    const perm = [...Array(r).keys()];
    [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
    return tf.transpose(x, perm);
  }
  const inputs: TransposeLast2Inputs = { x };
  return runKernel(TransposeLast2, inputs) as tf.Tensor;
}

/**
 * `x` with its last two axes swapped: [..., M, N] -> [..., N, M]. Differentiable (its gradient
 * is the same swap, grads/TransposeLast2_grad.ts).
 * @example
 *   transposeLast2(w); // [C, F] -> [F, C]
 */
export const transposeLast2 = tf.op({ transposeLast2_ });
