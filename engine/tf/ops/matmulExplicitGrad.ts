// matMul whose gradient transposes explicitly and then runs plain (untransposed) matMuls.
// Why: tfjs's stock MatMul gradient calls matMul with transposeA/transposeB, and the wasm
// backend's transposed BatchMatMul path is ~10x slower than its plain (XNNPACK) one; an explicit
// tf.transpose (a cheap copy) followed by a plain matMul is much faster, on cpu as well.
// Batched inputs (attention) go through batchMatMulLooped, which keeps them on XNNPACK too.
// No backend-specific code here, so this is a tf.customGrad rather than a kernel. Where the wasm backend
// has a native GEMM (nativeGemm.ts), transposes are free and plain tf.matMul is used instead.
import * as tf from '@tensorflow/tfjs-core';
import { customGrad } from '../customGrad';
import { nativeGemmFor } from '../nativeGemm';
import { batchMatMulLooped } from './batchMatMulLooped';
import { transposeLast2 } from './transposeLast2';

const matMulCustom = customGrad((a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: batchMatMulLooped(a, b), // [..., M, K] @ [..., K, N] -> [..., M, N]
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved;
      const [M, K] = sa.shape.slice(-2);
      const N = sb.shape[sb.rank - 1];
      const dA = batchMatMulLooped(dy, transposeLast2(sb)); // dY @ B^T: [..., M, N] @ [..., N, K]
      // dB = A^T @ dY [..., K, N]. Transposing A copies M*K values; when A is the wide one (an
      // ffn hidden state, M x 4C) it is cheaper to transpose dY and the result: (dY^T @ A)^T.
      const dB = M * K <= (M + K) * N ? batchMatMulLooped(transposeLast2(sa), dy) : transposeLast2(batchMatMulLooped(transposeLast2(dy), sa));
      return [dA, dB];
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
  // With a native GEMM (wasm in Node), transposed products cost nothing extra: tf.matMul and its
  // stock gradient (transposeA/transposeB flags) skip the explicit copies.
  if (nativeGemmFor(tf.getBackend())) return tf.matMul(a, b);
  return matMulCustom(a, b);
}

/**
 * `a @ b` for float32 tensors of equal rank (batch dims must match exactly, no transpose flags),
 * with a gradient that is fast on the wasm backend. Same values and gradients as `tf.matMul`.
 * @example
 *   const y = matMulExplicitGrad(x2d, w); // [N, C] @ [C, F] -> [N, F]
 */
export const matMulExplicitGrad = tf.op({ matMulExplicitGrad_ });

function matMulTransposedB_(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (a.rank !== 2 || b.rank !== 2 || a.shape[1] !== b.shape[1]) {
    throw new Error(`matMulTransposedB: need [M, K] and [N, K], got [${a.shape}] and [${b.shape}]`);
  }
  // A native GEMM reads b transposed in place (and so do tfjs's matMul gradients); elsewhere one
  // fast copy of b keeps the products plain.
  if (nativeGemmFor(tf.getBackend())) return tf.matMul(a, b, false, true);
  return matMulExplicitGrad(a, transposeLast2(b));
}

/**
 * `a @ b^T` for float32 matrices, e.g. the tied LM head (hidden states times the embedding table).
 * Where a native GEMM runs the matmuls, no transposed copy of b is made, forward or backward.
 * @example
 *   matMulTransposedB(h2, wte); // [N, C] @ [V, C]^T -> [N, V]
 */
export const matMulTransposedB = tf.op({ matMulTransposedB_ });
