// GELU (tanh approximation) with a hand-written gradient.
// gelu_tanh(x) = 0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3), rewritten with the
// identity 0.5 (1 + tanh(u)) = sigmoid(2u) as x * sigmoid(2u). Why: on wasm, Tanh and Pow run as
// scalar libm loops (~10x slower than XNNPACK's vectorised Sigmoid), and autodiff through the
// textbook formula takes ~3x more passes over the [N, F] hidden state than the closed form below.
// On wasm and cpu each direction is one kernel (kernels/js/Activations.ts) that keeps only x.
import * as tf from '@tensorflow/tfjs-core';
import { customGrad } from '../customGrad';
import { GeluBackward, GeluForward, type GeluInputs } from '../names';
import { hasKernel } from '../register';
import { runKernel } from '../runKernel';

const A = 2 * Math.sqrt(2 / Math.PI); // 2u = x * (A + B x^2)
const B = A * 0.044715;

const geluCustom = customGrad((x: tf.Tensor, save: tf.GradSaveFunc) => {
  const x2 = tf.square(x);
  const s = tf.sigmoid(tf.mul(x, tf.add(tf.mul(x2, B), A))); // sigmoid(2u)
  save([x, x2, s]);
  return {
    value: tf.mul(x, s),
    gradFunc: (dy: tf.Tensor, [sx, sx2, ss]: tf.Tensor[]) => {
      // d/dx [x s(2u)] = s + x s (1 - s) d(2u)/dx, with d(2u)/dx = A + 3 B x^2
      const ds = tf.mul(tf.mul(ss, tf.sub(1, ss)), tf.mul(sx, tf.add(tf.mul(sx2, 3 * B), A)));
      return tf.mul(dy, tf.add(ss, ds));
    },
  };
});

const geluFused = customGrad((x: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x]);
  const inputs: GeluInputs = { x };
  return {
    value: runKernel(GeluForward, inputs) as tf.Tensor,
    gradFunc: (dy: tf.Tensor, [sx]: tf.Tensor[]) => runKernel(GeluBackward, { x: sx, dy } satisfies GeluInputs) as tf.Tensor,
  };
});

function geluTanh_(x: tf.Tensor): tf.Tensor {
  return x.dtype === 'float32' && hasKernel(GeluForward) ? geluFused(x) : geluCustom(x);
}

/**
 * GELU with the tanh approximation (as torch's `gelu(approximate='tanh')`), elementwise.
 * @example
 *   geluTanh(tf.tensor1d([-1, 0, 1])); // ~[-0.1588, 0, 0.8412]
 */
export const geluTanh = tf.op({ geluTanh_ });
