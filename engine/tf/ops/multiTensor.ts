// Ops over several tensors at once, for gradient clipping: one kernel call for all the gradients
// where the backend has the kernel (wasm, cpu), the composed per-tensor form elsewhere.
import * as tf from '@tensorflow/tfjs-core';
import { GlobalNorm, ScaleAll, variadicName } from '../names';
import { hasKernel } from '../register';
import { runKernel } from '../runKernel';

const allFloat32 = (xs: tf.Tensor[]) => xs.every((x) => x.dtype === 'float32');
const named = (xs: tf.Tensor[]) => Object.fromEntries(xs.map((x, i) => [variadicName(i), x]));

/**
 * sqrt(sum over every element of every tensor of x^2), a new scalar; 0 for no tensors.
 * @example globalNorm([tf.tensor([3]), tf.tensor([4])]) // 5
 */
export function globalNorm(xs: tf.Tensor[]): tf.Scalar {
  if (xs.length === 0) return tf.scalar(0);
  if (allFloat32(xs) && hasKernel(GlobalNorm)) return runKernel(GlobalNorm, named(xs)) as tf.Scalar;
  return tf.tidy(() => tf.addN(xs.map((x) => x.square().sum<tf.Scalar>())).sqrt<tf.Scalar>());
}

/**
 * Each tensor times the scalar `coef`: new tensors, in the same order.
 * @example scaleAll([a, b], tf.scalar(0.5)) // [a * 0.5, b * 0.5]
 */
export function scaleAll(xs: tf.Tensor[], coef: tf.Scalar): tf.Tensor[] {
  if (xs.length > 0 && allFloat32([coef, ...xs]) && hasKernel(ScaleAll)) {
    const out = runKernel(ScaleAll, { coef, ...named(xs) });
    return Array.isArray(out) ? out : [out];
  }
  return xs.map((x) => tf.mul(x, coef));
}
