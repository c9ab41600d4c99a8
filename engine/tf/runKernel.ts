// tf.engine().runKernel with the engine's own input and attribute types. A leaf module: ops, kernels
// and gradients call it without importing register.ts, so no import runs back to the registration.
import * as tf from '@tensorflow/tfjs-core';

/**
 * Runs kernel `name` on the active backend.
 * @example
 *   const [y, mean, rstd] = runKernel(LayerNormForward, { x, weight, bias }, { eps }) as tf.Tensor[];
 */
export function runKernel(name: string, inputs: object, attrs: object = {}): tf.Tensor | tf.Tensor[] {
  return tf.engine().runKernel(name, inputs as tf.NamedTensorMap, attrs as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];
}
