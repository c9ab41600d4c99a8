// Adam/AdamW update of one parameter in a single kernel where the backend has it (wasm, cpu;
// see kernels/js/FusedAdamUpdate.ts).
import * as tf from '@tensorflow/tfjs-core';
import { FusedAdamUpdate, type FusedAdamUpdateAttrs, type FusedAdamUpdateInputs } from '../names';
import { ensureKernelsRegistered } from '../register';

/**
 * Whether the active backend runs fusedAdamUpdate (otherwise compose the update from ops).
 * @example
 *   if (hasFusedAdamUpdate()) [p2, m2, v2] = fusedAdamUpdate(p, g, m, v, attrs);
 */
export function hasFusedAdamUpdate(): boolean {
  ensureKernelsRegistered();
  return tf.getKernel(FusedAdamUpdate, tf.getBackend()) !== undefined;
}

/**
 * One Adam(W) step (see names.ts for the formula): returns new [p, m, v]; inputs are unchanged.
 * Not differentiable. Throws where hasFusedAdamUpdate() is false.
 * @example
 *   const [p2, m2, v2] = fusedAdamUpdate(p, g, m, v, { beta1: 0.9, beta2: 0.95, eps: 1e-8,
 *     decay: 1 - lr * wd, l2: 0, stepSize: lr / (1 - 0.9 ** t), bc2Sqrt: Math.sqrt(1 - 0.95 ** t) });
 */
export function fusedAdamUpdate(p: tf.Tensor, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, attrs: FusedAdamUpdateAttrs): [tf.Tensor, tf.Tensor, tf.Tensor] {
  for (const [name, t] of [
    ['g', g],
    ['m', m],
    ['v', v],
  ] as const) {
    if (!tf.util.arraysEqual(t.shape, p.shape) || t.dtype !== 'float32') {
      throw new Error(`fusedAdamUpdate: ${name} must be float32 [${p.shape}], got ${t.dtype} [${t.shape}]`);
    }
  }
  ensureKernelsRegistered();
  const inputs: FusedAdamUpdateInputs = { p, g, m, v };
  const out = tf.engine().runKernel(FusedAdamUpdate, inputs as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap);
  return out as unknown as [tf.Tensor, tf.Tensor, tf.Tensor];
}
