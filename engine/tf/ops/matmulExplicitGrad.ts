// matMul whose gradient transposes explicitly and then runs plain (untransposed) matMuls.
// Why: tfjs's stock MatMul gradient calls matMul with transposeA/transposeB, and the wasm
// backend's transposed BatchMatMul path is ~10x slower than its plain one; an explicit
// tf.transpose (a cheap copy) followed by a plain matMul is much faster, on cpu as well.
// No backend-specific code is needed, so this is a tf.customGrad (STYLE.md §6).
import * as tf from '@tensorflow/tfjs';

/** Swaps the last two axes: [..., M, N] -> [..., N, M]. */
function transposeLast2(x: tf.Tensor): tf.Tensor {
  const r = x.rank;
  const perm = [...Array(r).keys()];
  [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
  return tf.transpose(x, perm);
}

const matMulCustom = tf.customGrad((a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: tf.matMul(a, b), // [..., M, K] @ [..., K, N] -> [..., M, N]
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved;
      return [
        tf.matMul(dy, transposeLast2(sb)), // dA = dY @ B^T: [..., M, N] @ [..., N, K]
        tf.matMul(transposeLast2(sa), dy), // dB = A^T @ dY: [..., K, M] @ [..., M, N]
      ];
    },
  };
});

function matMulExplicitGrad_(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (a.rank < 2 || a.rank !== b.rank) {
    throw new Error(`matMulExplicitGrad: need equal ranks >= 2, got [${a.shape}] and [${b.shape}]`);
  }
  for (let i = 0; i < a.rank - 2; i++) {
    if (a.shape[i] !== b.shape[i]) {
      throw new Error(`matMulExplicitGrad: batch dims must match (no broadcasting), got [${a.shape}] and [${b.shape}]`);
    }
  }
  return matMulCustom(a, b);
}

/**
 * `a @ b` for float32 tensors of equal rank (batch dims must match exactly, no transpose flags),
 * with a gradient that is fast on the wasm backend. Same values and gradients as `tf.matMul`.
 * @example
 *   const y = matMulExplicitGrad(x2d, w); // [N, C] @ [C, F] -> [N, F]
 */
export const matMulExplicitGrad = tf.op({ matMulExplicitGrad_ });
