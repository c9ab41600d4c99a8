// SwiGLU gate silu(gate) * up with a hand-written gradient: one sigmoid pass forward and a short
// closed form backward, instead of autodiff through sigmoid and two products.
// On wasm and cpu each direction is one kernel (kernels/js/Activations.ts) that keeps only the inputs.
import * as tf from '@tensorflow/tfjs-core';
import { customGrad } from '../customGrad';
import { SwigluBackward, SwigluForward, type SwigluInputs } from '../names';
import { hasKernel } from '../register';
import { runKernel } from '../runKernel';

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

const swigluFused = customGrad((gate: tf.Tensor, up: tf.Tensor, save: tf.GradSaveFunc) => {
  save([gate, up]);
  const inputs: SwigluInputs = { gate, up };
  return {
    value: runKernel(SwigluForward, inputs) as tf.Tensor,
    gradFunc: (dy: tf.Tensor, [g, u]: tf.Tensor[]) => runKernel(SwigluBackward, { gate: g, up: u, dy } satisfies SwigluInputs) as tf.Tensor[],
  };
});

function swiglu_(gate: tf.Tensor, up: tf.Tensor): tf.Tensor {
  if (!tf.util.arraysEqual(gate.shape, up.shape)) throw new Error(`swiglu: shapes differ [${gate.shape}] vs [${up.shape}]`);
  const fused = gate.dtype === 'float32' && up.dtype === 'float32' && hasKernel(SwigluForward);
  return fused ? swigluFused(gate, up) : swigluCustom(gate, up);
}

/**
 * `silu(gate) * up` elementwise (silu(x) = x * sigmoid(x)), the SwiGLU feed-forward gate.
 * @example
 *   swiglu(x @ w1, x @ w3); // [N, F], [N, F] -> [N, F]
 */
export const swiglu = tf.op({ swiglu_ });
