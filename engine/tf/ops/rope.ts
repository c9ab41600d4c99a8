// Rotary position embedding (RoPE) as one op with a hand-written gradient.
// With the half-split layout, rotate_half(x) * sin = swapHalves(x) * sinSigned, where
// sinSigned = concat(-sin[:hs/2], sin[hs/2:]) and swapHalves(x) = x @ P for the fixed permutation
// P that exchanges the two halves of the last axis. Why a matmul: on wasm, tf.reverse and
// split + concat each cost ~10x a small XNNPACK matmul by P. P is symmetric (an involution),
// so the backward pass is dx = dy * cos + (dy * sinSigned) @ P, with nothing saved.
// On wasm and cpu both directions are one kernel (kernels/js/Rope.ts) for x of shape [B, T, H, hs].
import * as tf from '@tensorflow/tfjs-core';
import { customGrad } from '../customGrad';
import { Rope, type RopeAttrs, type RopeInputs } from '../names';
import { hasKernel } from '../register';
import { runKernel } from '../runKernel';

/**
 * The [hs, hs] permutation matrix with (x @ P) = concat(x[hs/2:], x[:hs/2]).
 * @example
 *   halfSwapMatrix(4); // [[0,0,1,0],[0,0,0,1],[1,0,0,0],[0,1,0,0]]
 */
export function halfSwapMatrix(hs: number): tf.Tensor2D {
  const half = hs / 2;
  const m = new Float32Array(hs * hs);
  for (let j = 0; j < half; j++) {
    m[(j + half) * hs + j] = 1; // out[j] = x[j + half]
    m[j * hs + j + half] = 1; // out[j + half] = x[j]
  }
  return tf.tensor2d(m, [hs, hs]);
}

/** x @ P over the last axis: [..., hs] -> [..., hs]. */
function swapHalves(t: tf.Tensor, swap: tf.Tensor2D): tf.Tensor {
  const hs = swap.shape[0];
  return tf.reshape(tf.matMul(tf.reshape(t, [-1, hs]), swap), t.shape);
}

function applyRope_(x: tf.Tensor, cos: tf.Tensor, sinSigned: tf.Tensor, swap: tf.Tensor2D): tf.Tensor {
  const hs = x.shape[x.rank - 1];
  if (swap.shape[0] !== hs || swap.shape[1] !== hs) throw new Error(`applyRope: swap must be [${hs}, ${hs}], got [${swap.shape}]`);
  // Only x gets a gradient. The tables may be slices made inside the caller's tidy, gone by the
  // time the backward pass runs, so they are saved (kept) rather than closed over.
  if (x.rank === 4 && x.dtype === 'float32' && cos.size === x.shape[1]! * hs && sinSigned.size === cos.size && hasKernel(Rope)) {
    const rope = (t: tf.Tensor, c: tf.Tensor, s: tf.Tensor, backward: boolean) => {
      const inputs: RopeInputs = { x: t, cos: c, sin: s };
      const attrs: RopeAttrs = { backward };
      return runKernel(Rope, inputs, attrs) as tf.Tensor;
    };
    const fused = customGrad((xIn: tf.Tensor, save: tf.GradSaveFunc) => {
      save([cos, sinSigned]);
      return { value: rope(xIn, cos, sinSigned, false), gradFunc: (dy: tf.Tensor, [c, s]: tf.Tensor[]) => rope(dy, c, s, true) };
    });
    return fused(x);
  }
  const f = customGrad((xIn: tf.Tensor, save: tf.GradSaveFunc) => {
    save([cos, sinSigned, swap]);
    return {
      value: tf.add(tf.mul(xIn, cos), tf.mul(swapHalves(xIn, swap), sinSigned)),
      gradFunc: (dy: tf.Tensor, [c, s, p]: tf.Tensor[]) => tf.add(tf.mul(dy, c), swapHalves(tf.mul(dy, s), p as tf.Tensor2D)),
    };
  });
  return f(x);
}

/**
 * RoPE: `x * cos + rotate_half(x) * sin`, given cos and the pre-signed sin tables (broadcastable
 * against x, e.g. [T, 1, hs] for x [B, T, nH, hs]) and swap = halfSwapMatrix(hs).
 * Differentiable w.r.t. x only.
 * @example
 *   applyRope(q, cos, sinSigned, halfSwapMatrix(hs)); // [B, T, nH, hs] -> [B, T, nH, hs]
 */
export const applyRope = tf.op({ applyRope_ });
