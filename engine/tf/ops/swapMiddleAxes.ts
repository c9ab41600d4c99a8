// Swapping the two middle axes of a rank-4 tensor: one fast kernel on wasm and cpu
// (kernels/js/SwapMiddleAxes.ts), tf.transpose(x, [0, 2, 1, 3]) elsewhere.
import * as tf from '@tensorflow/tfjs-core';
import { SwapMiddleAxes, type SwapMiddleAxesInputs } from '../names';
import { hasKernel } from '../register';
import { runKernel } from '../runKernel';

function swapMiddleAxes_(x: tf.Tensor): tf.Tensor {
  if (x.rank !== 4) throw new Error(`swapMiddleAxes: need rank 4, got [${x.shape}]`);
  if (x.dtype !== 'float32' || !hasKernel(SwapMiddleAxes)) return tf.transpose(x, [0, 2, 1, 3]);
  const inputs: SwapMiddleAxesInputs = { x };
  return runKernel(SwapMiddleAxes, inputs) as tf.Tensor;
}

/**
 * [A, B, C, D] -> [A, C, B, D]. Differentiable (the gradient is the same swap, grads/SwapMiddleAxes_grad.ts).
 * @example
 *   swapMiddleAxes(q); // [B, T, nH, hs] -> [B, nH, T, hs]
 */
export const swapMiddleAxes = tf.op({ swapMiddleAxes_ });
