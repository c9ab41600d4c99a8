// LayerNorm and RMSNorm over the last axis, each one op with a hand-written gradient.
// Why: autodiff through mean/sub/square/rsqrt takes ~3x more passes over [N, C] than the closed
// forms below, its Square gradient casts (a copy on wasm), and the weight/bias gradients need a
// sum over rows, which the wasm backend does by transposing; a [1, N] @ [N, C] matmul with ones
// does it on XNNPACK instead (sumRows).
// On wasm and cpu each direction is one kernel (kernels/js/Norms.ts, SIMD on wasm) that keeps
// only the row statistics for the backward pass; the composed form below is what GPU backends run.
// References: Ba et al., "Layer Normalization" (2016); Zhang & Sennrich, "Root Mean Square Layer
// Normalization" (2019).
import * as tf from '@tensorflow/tfjs-core';
import { customGrad } from '../customGrad';
import {
  LayerNormBackward,
  type LayerNormBackwardInputs,
  LayerNormForward,
  type LayerNormForwardInputs,
  type NormAttrs,
  RmsNormBackward,
  type RmsNormBackwardInputs,
  RmsNormForward,
  type RmsNormForwardInputs,
} from '../names';
import { hasKernel } from '../register';
import { runKernel } from '../runKernel';

/** Column sums of a 2D tensor as a matmul: [N, C] -> [C]. */
function sumRows(x2: tf.Tensor2D): tf.Tensor1D {
  const [N, C] = x2.shape;
  return tf.reshape(tf.matMul(tf.ones([1, N]), x2), [C]); // [1, N] @ [N, C] -> [C]
}

/** LayerNorm as one kernel each way (wasm, cpu); the backward pass gets x, mean and rstd. */
function layerNormFused(x: tf.Tensor, weight: tf.Tensor1D, bias: tf.Tensor1D, eps: number): tf.Tensor {
  const C = x.shape[x.rank - 1];
  const f = customGrad((xIn: tf.Tensor, w: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    const x2 = tf.reshape(xIn, [-1, C]); // [..., C] -> [N, C]
    const inputs: LayerNormForwardInputs = { x: x2, weight: w, bias: b };
    const attrs: NormAttrs = { eps };
    const [y, mean, rstd] = runKernel(LayerNormForward, inputs, attrs) as tf.Tensor[]; // [N, C], [N], [N]
    save([x2, mean, rstd, w]);
    return {
      value: tf.reshape(y, xIn.shape),
      gradFunc: (dy: tf.Tensor, [sx, smean, srstd, sw]: tf.Tensor[]) => {
        const grads: LayerNormBackwardInputs = { dy: tf.reshape(dy, [-1, C]), x: sx, mean: smean, rstd: srstd, weight: sw };
        const [dx, dw, db] = runKernel(LayerNormBackward, grads) as tf.Tensor[];
        return [tf.reshape(dx, dy.shape), dw, db];
      },
    };
  });
  return f(x, weight, bias);
}

function layerNorm_(x: tf.Tensor, weight: tf.Tensor1D, bias: tf.Tensor1D, eps: number): tf.Tensor {
  const C = x.shape[x.rank - 1];
  if (hasKernel(LayerNormForward)) return layerNormFused(x, weight, bias, eps);
  const f = customGrad((xIn: tf.Tensor, w: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    const x2 = tf.reshape(xIn, [-1, C]); // [..., C] -> [N, C]
    const xc = tf.sub(x2, tf.mean(x2, -1, true));
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(xc), -1, true), eps)); // [N, 1], biased variance
    const xhat = tf.mul(xc, rstd); // [N, C]
    save([xhat, rstd, w]);
    return {
      value: tf.reshape(tf.add(tf.mul(xhat, w), b), xIn.shape),
      gradFunc: (dy: tf.Tensor, [sxhat, srstd, sw]: tf.Tensor[]) => {
        const dy2 = tf.reshape(dy, [-1, C]) as tf.Tensor2D;
        const g = tf.mul(dy2, sw); // gradient w.r.t. xhat
        // dx = rstd * (g - mean(g) - xhat * mean(g * xhat))
        const proj = tf.mul(sxhat, tf.mean(tf.mul(g, sxhat), -1, true));
        const dx = tf.mul(tf.sub(tf.sub(g, tf.mean(g, -1, true)), proj), srstd);
        return [tf.reshape(dx, dy.shape), sumRows(tf.mul(dy2, sxhat) as tf.Tensor2D), sumRows(dy2)];
      },
    };
  });
  return f(x, weight, bias);
}

/**
 * LayerNorm over the last axis, biased variance and eps inside the square root (as
 * torch.nn.LayerNorm): `(x - mean) * rsqrt(var + eps) * weight + bias`.
 * @example
 *   layerNorm(x, w, b, 1e-5); // [B, T, C], [C], [C] -> [B, T, C]
 */
export const layerNorm = tf.op({ layerNorm_ });

/** RMSNorm as one kernel each way (wasm, cpu); the backward pass gets x and rstd. */
function rmsNormFused(x: tf.Tensor, weight: tf.Tensor1D, eps: number): tf.Tensor {
  const C = x.shape[x.rank - 1];
  const f = customGrad((xIn: tf.Tensor, w: tf.Tensor, save: tf.GradSaveFunc) => {
    const x2 = tf.reshape(xIn, [-1, C]); // [..., C] -> [N, C]
    const inputs: RmsNormForwardInputs = { x: x2, weight: w };
    const attrs: NormAttrs = { eps };
    const [y, rstd] = runKernel(RmsNormForward, inputs, attrs) as tf.Tensor[]; // [N, C], [N]
    save([x2, rstd, w]);
    return {
      value: tf.reshape(y, xIn.shape),
      gradFunc: (dy: tf.Tensor, [sx, srstd, sw]: tf.Tensor[]) => {
        const grads: RmsNormBackwardInputs = { dy: tf.reshape(dy, [-1, C]), x: sx, rstd: srstd, weight: sw };
        const [dx, dw] = runKernel(RmsNormBackward, grads) as tf.Tensor[];
        return [tf.reshape(dx, dy.shape), dw];
      },
    };
  });
  return f(x, weight);
}

function rmsNorm_(x: tf.Tensor, weight: tf.Tensor1D, eps: number): tf.Tensor {
  const C = x.shape[x.rank - 1];
  if (hasKernel(RmsNormForward)) return rmsNormFused(x, weight, eps);
  const f = customGrad((xIn: tf.Tensor, w: tf.Tensor, save: tf.GradSaveFunc) => {
    const x2 = tf.reshape(xIn, [-1, C]); // [..., C] -> [N, C]
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(x2), -1, true), eps)); // [N, 1]
    const xhat = tf.mul(x2, rstd);
    save([xhat, rstd, w]);
    return {
      value: tf.reshape(tf.mul(xhat, w), xIn.shape),
      gradFunc: (dy: tf.Tensor, [sxhat, srstd, sw]: tf.Tensor[]) => {
        const dy2 = tf.reshape(dy, [-1, C]) as tf.Tensor2D;
        const g = tf.mul(dy2, sw);
        // dx = rstd * (g - xhat * mean(g * xhat))
        const dx = tf.mul(tf.sub(g, tf.mul(sxhat, tf.mean(tf.mul(g, sxhat), -1, true))), srstd);
        return [tf.reshape(dx, dy.shape), sumRows(tf.mul(dy2, sxhat) as tf.Tensor2D)];
      },
    };
  });
  return f(x, weight);
}

/**
 * RMSNorm over the last axis: `x * rsqrt(mean(x^2) + eps) * weight`.
 * @example
 *   rmsNorm(x, w, 1e-5); // [B, T, C], [C] -> [B, T, C]
 */
export const rmsNorm = tf.op({ rmsNorm_ });
