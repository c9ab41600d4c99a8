// SwiGLU gate silu(gate) * up with a hand-written gradient: one sigmoid pass forward and a short
// closed form backward, instead of autodiff through sigmoid and two products.
import * as tf from '@tensorflow/tfjs';
import { customGrad } from '../customGrad';

const swigluCustom = customGrad((gate: tf.Tensor, up: tf.Tensor, save: tf.GradSaveFunc) => {
  const s = tf.sigmoid(gate);
  const silu = tf.mul(gate, s);
  save([gate, up, s, silu]);
  return {
    value: tf.mul(silu, up),
    gradFunc: (dy: tf.Tensor, [g, u, sg, si]: tf.Tensor[]) => {
      // d silu/dg = s + g s (1 - s) = s + silu (1 - s)
      const dSilu = tf.add(sg, tf.mul(si, tf.sub(1, sg)));
      return [tf.mul(tf.mul(dy, u), dSilu), tf.mul(dy, si)];
    },
  };
});

function swiglu_(gate: tf.Tensor, up: tf.Tensor): tf.Tensor {
  if (!tf.util.arraysEqual(gate.shape, up.shape)) throw new Error(`swiglu: shapes differ [${gate.shape}] vs [${up.shape}]`);
  return swigluCustom(gate, up);
}

/**
 * `silu(gate) * up` elementwise (silu(x) = x * sigmoid(x)), the SwiGLU feed-forward gate.
 * @example
 *   swiglu(x @ w1, x @ w3); // [N, F], [N, F] -> [N, F]
 */
export const swiglu = tf.op({ swiglu_ });
