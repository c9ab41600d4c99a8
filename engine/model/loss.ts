// Mean token cross-entropy for language modelling, with a hand-written gradient.
// Why custom: the gradient of mean CE w.r.t. the logits is simply (softmax - onehot) / N.
// Autodiff through logSoftmax + gather would take many more passes over the [N, V] logits, and
// gather's gradient is not available on the wasm backend at all. On wasm and cpu the loss and
// that gradient come out of one kernel (engine/tf/kernels/js/SoftmaxCrossEntropy.ts).
import * as tf from '@tensorflow/tfjs-core';
import { customGrad } from '../tf/customGrad';
import { SoftmaxCrossEntropy, type SoftmaxCrossEntropyInputs } from '../tf/names';
import { hasKernel } from '../tf/register';
import { runKernel } from '../tf/runKernel';

/**
 * Mean cross-entropy (natural log) of `logits` [B, T, V] against int32 `targets` [B, T],
 * computed stably as logsumexp(logits) - logits[target].
 * @example
 *   const loss = crossEntropy(model.forward(x), y); // scalar, ~ln(V) for an untrained model
 */
export function crossEntropy(logits: tf.Tensor3D, targets: tf.Tensor2D): tf.Scalar {
  const [B, T, V] = logits.shape;
  if (targets.dtype !== 'int32') throw new Error(`crossEntropy: targets must be int32, got ${targets.dtype}`);
  if (targets.shape[0] !== B || targets.shape[1] !== T) {
    throw new Error(`crossEntropy: targets [${targets.shape}] do not match logits [${logits.shape}]`);
  }
  const N = B * T;
  if (logits.dtype === 'float32' && hasKernel(SoftmaxCrossEntropy)) {
    const fused = customGrad((logitsIn: tf.Tensor, save: tf.GradSaveFunc) => {
      const inputs: SoftmaxCrossEntropyInputs = { logits: tf.reshape(logitsIn, [N, V]), targets: tf.reshape(targets, [N]) };
      const [loss, grad] = runKernel(SoftmaxCrossEntropy, inputs) as tf.Tensor[]; // scalar, [N, V] = (softmax - onehot) / N
      save([grad]);
      return { value: loss, gradFunc: (dy: tf.Tensor, [g]: tf.Tensor[]) => tf.reshape(tf.mul(g, dy), [B, T, V]) };
    });
    return fused(logits) as tf.Scalar;
  }
  const ce = customGrad((logitsIn: tf.Tensor, save: tf.GradSaveFunc) => {
    const l2 = tf.reshape(logitsIn, [N, V]); // [B, T, V] -> [N, V]
    const z = tf.sub(l2, tf.max(l2, -1, true)); // shift by the row max: exp cannot overflow
    const e = tf.exp(z); // [N, V]
    const s = tf.sum(e, -1, true); // [N, 1]
    // z at the target of each row, picked from the flat [N*V] view: row n starts at n*V.
    const flatIdx = tf.add(tf.reshape(targets, [N]), tf.range(0, N * V, V, 'int32')); // [N]
    const picked = tf.gather(tf.reshape(z, [N * V]), flatIdx); // [N]
    save([e, s, tf.reshape(flatIdx, [N, 1])]);
    return {
      value: tf.mean(tf.sub(tf.log(tf.reshape(s, [N])), picked)),
      gradFunc: (dy: tf.Tensor, [se, ss, sIdx]: tf.Tensor[]) => {
        const probs = tf.reshape(tf.div(se, ss), [N * V]); // softmax, flat [N*V]
        // (softmax - onehot): subtract 1 at each row's target. A scatter rather than tf.oneHot,
        // whose wasm kernel ignores the float32 dtype in tfjs 4.22 (it writes integer bits).
        const oneHot = tf.scatterND(sIdx, tf.ones([N]), [N * V]);
        const grad = tf.mul(tf.sub(probs, oneHot), tf.div(dy, N)); // d(mean)/d(row loss) = 1/N
        return tf.reshape(grad, [B, T, V]);
      },
    };
  });
  return ce(logits) as tf.Scalar;
}
