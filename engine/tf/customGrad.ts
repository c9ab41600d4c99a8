// A typed front for tf.customGrad. tfjs types the function as (...inputs: (Tensor | GradSaveFunc)[]),
// which rejects the natural (x: Tensor, save: GradSaveFunc) => ... signature under strict checks.
// It also runs each gradFunc inside tf.tidy: tfjs calls a custom gradient outside any tidy of its
// own, so without one every temporary of every backward step (transposed operands, partial
// products) would stay alive until the whole backward pass ends.
import * as tf from '@tensorflow/tfjs-core';

/** What a custom-gradient body returns: the value and how to map dy to one gradient per input. */
export interface CustomGradResult {
  value: tf.Tensor;
  gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[];
}

/**
 * tf.customGrad with typed inputs: `f` receives the input tensors, then `save` (whose tensors come
 * back as `saved` in gradFunc; saving is a no-op when no gradient is being recorded).
 * @example
 *   const square = customGrad((x: tf.Tensor, save: tf.GradSaveFunc) => {
 *     save([x]);
 *     return { value: tf.square(x), gradFunc: (dy, [sx]) => tf.mul(dy, tf.mul(sx, 2)) };
 *   });
 */
export function customGrad<A extends tf.Tensor[]>(f: (...args: [...A, tf.GradSaveFunc]) => CustomGradResult): (...inputs: A) => tf.Tensor {
  const tidied = (...args: [...A, tf.GradSaveFunc]) => {
    const { value, gradFunc } = f(...args);
    return { value, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.tidy(() => gradFunc(dy, saved)) };
  };
  return tf.customGrad(tidied as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (...inputs: A) => tf.Tensor;
}
