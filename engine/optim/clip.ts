// Gradient clipping by global L2 norm, as torch.nn.utils.clip_grad_norm_ (norm_type 2) does it:
// one norm over all grads, then every grad scaled by min(1, maxNorm / (norm + 1e-6)). On wasm and
// cpu each of the two is one kernel call for all the grads (tf/ops/multiTensor.ts).
//
// Ownership: the inputs stay the caller's (not disposed, not changed: tfjs tensors are immutable,
// so torch's in-place mul_ becomes new tensors). Everything returned is new and the caller's to
// dispose: the clipped grads and the norm. No value is read back to the CPU, so on WebGL the
// step can keep queueing work; read `norm` when you log it.

import * as tf from '@tensorflow/tfjs-core';
import { globalNorm as globalNormOf, scaleAll } from '../tf/ops/multiTensor';
// Chained tensor methods (x.mul(y)): types here, registered at run time by the host (engine/{node,browser}/tfjs.ts).
import type {} from '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';

/** Result of clipByGlobalNorm; every tensor in it belongs to the caller. */
export interface ClipResult {
  grads: Map<string, tf.Tensor>; // same names and shapes as the input, scaled by `coef`
  norm: tf.Scalar; // global L2 norm before clipping (what torch's clip_grad_norm_ returns)
  coef: tf.Scalar; // factor the grads were multiplied by: min(1, maxNorm / (norm + 1e-6)); 1 when off
}

/**
 * Global L2 norm over all grads: sqrt(sum over every element of every grad of g^2).
 * Returns a new scalar the caller disposes; 0 for an empty map (torch returns tensor(0.) too).
 * @example
 *   const n = globalNorm(new Map([['a', tf.tensor([3])], ['b', tf.tensor([4])]])); // 5
 */
export function globalNorm(grads: Map<string, tf.Tensor>): tf.Scalar {
  return globalNormOf([...grads.values()]);
}

/**
 * Scales all grads together so their global L2 norm is at most `maxNorm`, like
 * torch.nn.utils.clip_grad_norm_. `maxNorm <= 0` or `Infinity` turns clipping off (the grads come
 * back as copies) but the norm is still reported. Torch would zero or flip the grads for
 * maxNorm <= 0; here that value means "off", the way a UI field left at 0 would.
 * @example
 *   const { grads: clipped, norm, coef } = clipByGlobalNorm(grads, 1.0);
 *   optimizer.step(clipped, lr);
 *   const wasClipped = (await coef.data())[0] < 1; // only if you log it: a read from the device
 *   // then dispose `clipped`, `grads`, `norm` and `coef`
 */
export function clipByGlobalNorm(grads: Map<string, tf.Tensor>, maxNorm: number): ClipResult {
  if (Number.isNaN(maxNorm)) throw new RangeError('clipByGlobalNorm: maxNorm is NaN');
  const norm = globalNorm(grads);
  const off = maxNorm <= 0 || maxNorm === Infinity;
  // Multiply even when the coefficient is 1, as torch does: deciding on the CPU would need a
  // device-to-CPU read of the norm every step.
  const coef = off ? tf.scalar(1) : tf.tidy(() => tf.minimum(tf.scalar(maxNorm).div(norm.add(1e-6)), 1) as tf.Scalar);
  const names = [...grads.keys()];
  const scaled = off ? [...grads.values()].map((g) => g.clone()) : scaleAll([...grads.values()], coef);
  return { grads: new Map(names.map((name, i) => [name, scaled[i]])), norm, coef };
}
