// The wasm BatchMatMul kernel on the native BLAS (engine/node/blas.ts, nativeGemm.ts): products and
// gradients against float64 loops for every transpose combination, batched, broadcast and rank-4
// shapes, and the fallback to XNNPACK when the BLAS is turned off. OpenBLAS must load here
// (Debian: libopenblas0-pthread, which .ci/run installs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { normalArray, Rng } from '../../../random';
import { useBackend } from '../../../node/backend';
import { nodeBlasUnavailableReason, openBlasCoreType } from '../../../node/blas';
import { nativeGemm } from '../../nativeGemm';
import { matMulExplicitGrad } from '../../ops/matmulExplicitGrad';

const rng = new Rng(11);

/** out[..., m, n] = sum_k op(a)[..., m, k] op(b)[..., k, n] in float64; batch 1 broadcasts. */
function reference(a: Float32Array, aShape: number[], b: Float32Array, bShape: number[], ta: boolean, tb: boolean): number[] {
  const [a1, a2] = aShape.slice(-2);
  const [b1, b2] = bShape.slice(-2);
  const [M, K] = ta ? [a2, a1] : [a1, a2];
  const N = tb ? b1 : b2;
  const batchA = a.length / (a1 * a2);
  const batchB = b.length / (b1 * b2);
  const batch = Math.max(batchA, batchB);
  const out: number[] = [];
  for (let i = 0; i < batch; i++) {
    const ao = (batchA === 1 ? 0 : i) * M * K;
    const bo = (batchB === 1 ? 0 : i) * K * N;
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += a[ao + (ta ? k * M + m : m * K + k)] * b[bo + (tb ? n * K + k : k * N + n)];
        out.push(s);
      }
    }
  }
  return out;
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= 1e-4 * (1 + Math.abs(expected[i])), `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

const CASES: { aShape: number[]; bShape: number[]; ta: boolean; tb: boolean }[] = [
  { aShape: [37, 19], bShape: [19, 23], ta: false, tb: false },
  { aShape: [19, 37], bShape: [19, 23], ta: true, tb: false },
  { aShape: [37, 19], bShape: [23, 19], ta: false, tb: true },
  { aShape: [19, 37], bShape: [23, 19], ta: true, tb: true },
  { aShape: [5, 16, 8], bShape: [5, 8, 16], ta: false, tb: false }, // attention-like batches
  { aShape: [5, 16, 8], bShape: [5, 16, 8], ta: false, tb: true },
  { aShape: [1, 7, 9], bShape: [4, 9, 3], ta: false, tb: false }, // a broadcast over b's batch
  { aShape: [4, 7, 9], bShape: [9, 3], ta: false, tb: false }, // b (rank 2) broadcast
  { aShape: [2, 3, 6, 5], bShape: [2, 3, 5, 4], ta: false, tb: false }, // rank 4
];

test("OpenBLAS loads in Node and runs the wasm backend's matmuls", async () => {
  await useBackend('wasm');
  const gemm = nativeGemm();
  assert.ok(gemm, `no native BLAS: ${nodeBlasUnavailableReason()}`);
  assert.match(gemm.describe, /OpenBLAS .*1 thread$/);
});

test('matMul on the native BLAS equals float64 loops: transposes, batches, broadcasting, rank 4', async () => {
  await useBackend('wasm');
  assert.ok(nativeGemm());
  for (const { aShape, bShape, ta, tb } of CASES) {
    const a = Float32Array.from(
      normalArray(
        rng,
        aShape.reduce((x, y) => x * y),
        1,
      ),
    );
    const b = Float32Array.from(
      normalArray(
        rng,
        bShape.reduce((x, y) => x * y),
        1,
      ),
    );
    const c = tf.matMul(tf.tensor(a, aShape), tf.tensor(b, bShape), ta, tb);
    assertClose(await c.data(), reference(a, aShape, b, bShape, ta, tb), `[${aShape}]${ta ? 'ᵀ' : ''} @ [${bShape}]${tb ? 'ᵀ' : ''}`);
  }
});

test("gradients of the model's matmul on the native BLAS equal float64 loops", async () => {
  await useBackend('wasm');
  assert.ok(nativeGemm());
  const [B, M, K, N] = [3, 10, 6, 7];
  const a = Float32Array.from(normalArray(rng, B * M * K, 1));
  const b = Float32Array.from(normalArray(rng, B * K * N, 1));
  const w = Float32Array.from(normalArray(rng, B * M * N, 1)); // loss = sum(w * (a @ b))
  const wt = tf.tensor(w, [B, M, N]);
  const grad = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(matMulExplicitGrad(x, y), wt)));
  const [da, db] = grad([tf.tensor(a, [B, M, K]), tf.tensor(b, [B, K, N])]);
  // dA = W @ Bᵀ, dB = Aᵀ @ W
  assertClose(await da.data(), reference(w, [B, M, N], b, [B, K, N], false, true), 'dA');
  assertClose(await db.data(), reference(a, [B, M, K], w, [B, M, N], true, false), 'dB');
});

test('nativeBlas: false keeps the matmuls on XNNPACK, with the same results', async () => {
  await useBackend('wasm', { nativeBlas: false });
  assert.equal(nativeGemm(), undefined);
  const a = Float32Array.from(normalArray(rng, 12 * 5, 1));
  const b = Float32Array.from(normalArray(rng, 5 * 9, 1));
  assertClose(await tf.matMul(tf.tensor(a, [12, 5]), tf.tensor(b, [5, 9])).data(), reference(a, [12, 5], b, [5, 9], false, false), 'xnnpack');
  await useBackend('wasm');
  assert.ok(nativeGemm(), 'back on the BLAS');
});

test('OPENBLAS_CORETYPE follows the CPU flags', () => {
  assert.equal(openBlasCoreType('fpu sse2 avx avx2 fma avx512f avx512cd avx512bw avx512dq avx512vl'), 'SkylakeX');
  assert.equal(openBlasCoreType('fpu sse2 avx avx2 fma avx512f'), 'Haswell', 'partial AVX-512 is not enough for SkylakeX kernels');
  assert.equal(openBlasCoreType('fpu sse2 avx avx2 fma'), 'Haswell');
  assert.equal(openBlasCoreType('fpu sse2 sse3'), undefined);
});
