// Batched matmul that takes the backend's fast 2D path for every batch entry (see names.ts).
// On wasm it runs the BatchMatMulLooped kernel; backends without that kernel use tf.matMul,
// which is already fast there.
import * as tf from '@tensorflow/tfjs-core';
import { BatchMatMulLooped, type BatchMatMulLoopedInputs } from '../names';
import { nativeGemmFor } from '../nativeGemm';
import { ensureKernelsRegistered } from '../register';

function batchMatMulLooped_(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const r = a.rank;
  if (r < 2 || b.rank !== r) throw new Error(`batchMatMulLooped: need equal ranks >= 2, got [${a.shape}] and [${b.shape}]`);
  const [M, K] = a.shape.slice(-2);
  const [K2, N] = b.shape.slice(-2);
  const lead = a.shape.slice(0, -2);
  if (K !== K2 || !tf.util.arraysEqual(lead, b.shape.slice(0, -2))) {
    throw new Error(`batchMatMulLooped: cannot multiply [${a.shape}] by [${b.shape}] (no broadcasting)`);
  }
  ensureKernelsRegistered();
  // A native GEMM takes batched products directly (kernels/wasm/BatchMatMulNative.ts).
  if (r === 2 || nativeGemmFor(tf.getBackend()) || !tf.getKernel(BatchMatMulLooped, tf.getBackend())) return tf.matMul(a, b);
  const batch = lead.reduce((x, y) => x * y, 1);
  const inputs: BatchMatMulLoopedInputs = {
    a: tf.reshape(a, [batch, M, K]), // [..., M, K] -> [batch, M, K]
    b: tf.reshape(b, [batch, K, N]),
  };
  const out = tf.engine().runKernel(BatchMatMulLooped, inputs as unknown as tf.NamedTensorMap) as tf.Tensor;
  return tf.reshape(out, [...lead, M, N]); // [batch, M, N] -> [..., M, N]
}

/**
 * `a @ b` for float32 [..., M, K] and [..., K, N] with identical batch dims; same result as
 * tf.matMul, but on wasm each batch entry runs on XNNPACK instead of the slow batched loop.
 * Differentiable (see grads/BatchMatMulLooped_grad.ts).
 * @example
 *   const scores = batchMatMulLooped(q, kT); // [B*nH, T, hs] @ [B*nH, hs, T] -> [B*nH, T, T]
 */
export const batchMatMulLooped = tf.op({ batchMatMulLooped_ });
