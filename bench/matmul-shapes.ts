// Matmul shapes of configs R and M, one at a time. Attention's batched products: OpenBLAS (one call
// per batch entry), the stock XNNPACK kernel, and the same flops as one GEMM (what fewer calls could
// reach at best), plus the cost of one FFI call. The tied LM head, forward and backward: an explicit
// transpose of wte then plain products, against the transpose as a GEMM flag (matMulTransposedB).
// Prints µs (ms for the head), fastest of many runs.
// Usage: node --import tsx bench/matmul-shapes.ts [--reps 30]
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../engine/node/backend';
import { nativeGemm, setNativeGemm } from '../engine/tf/nativeGemm';
import { matMulExplicitGrad, matMulTransposedB } from '../engine/tf/ops/matmulExplicitGrad';

const { values } = parseArgs({ options: { reps: { type: 'string', default: '30' } } });
const reps = Number(values.reps);

await useBackend('wasm');
const gemm = nativeGemm();
if (!gemm) throw new Error('no native BLAS loaded');

/** Fastest of `reps` runs of fn, in µs. */
function fastest(fn: () => void): number {
  fn();
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    fn();
    best = Math.min(best, performance.now() - t);
  }
  return best * 1000;
}

const one = new Float32Array(1);
const ffiUs =
  fastest(() => {
    for (let i = 0; i < 1000; i++) gemm.sgemm(false, false, 1, 1, 1, one, one, one);
  }) / 1000;
console.log(`${gemm.describe}: one 1x1x1 sgemm call through koffi ${ffiUs.toFixed(2)} µs`);

// [batch, M, K] @ [batch, K, N] with flags, as the attention layer and tfjs's matMul gradient ask.
const SHAPES: { config: string; batch: number; M: number; K: number; N: number; ta: boolean; tb: boolean; what: string }[] = [];
for (const [config, batch, T, hs] of [
  ['R', 64, 64, 32],
  ['M', 32, 256, 64],
] as const) {
  SHAPES.push(
    { config, batch, M: T, K: hs, N: T, ta: false, tb: false, what: 'scores q @ kT' },
    { config, batch, M: T, K: hs, N: T, ta: false, tb: true, what: 'scores q @ k^T (flag)' },
    { config, batch, M: T, K: T, N: hs, ta: false, tb: false, what: 'att @ v' },
    { config, batch, M: T, K: T, N: hs, ta: false, tb: true, what: 'd att / dq: dy @ b^T' },
    { config, batch, M: T, K: T, N: hs, ta: true, tb: false, what: 'dv: att^T @ dy' },
    { config, batch, M: hs, K: T, N: T, ta: true, tb: false, what: 'dkT: q^T @ dS' },
  );
}

console.log('| config | product | shape | OpenBLAS loop µs | GFLOP/s | XNNPACK µs | one call, same flops µs |');
console.log('|---|---|---|---|---|---|---|');
for (const s of SHAPES) {
  const a = tf.randomNormal([s.batch, ...(s.ta ? [s.K, s.M] : [s.M, s.K])]);
  const b = tf.randomNormal([s.batch, ...(s.tb ? [s.N, s.K] : [s.K, s.N])]);
  const time = () =>
    fastest(() => {
      tf.matMul(a, b, s.ta, s.tb).dispose();
    });
  const native = time();
  setNativeGemm(undefined);
  const xnnpack = time();
  setNativeGemm(gemm);
  const a1 = tf.randomNormal([s.batch * s.M, s.K]);
  const b1 = tf.randomNormal([s.K, s.N]);
  const single = fastest(() => tf.matMul(a1, b1).dispose());
  const gflops = (2 * s.batch * s.M * s.N * s.K) / native / 1e3;
  const flags = `${s.ta ? 'T' : 'N'}${s.tb ? 'T' : 'N'}`;
  console.log(
    `| ${s.config} | ${s.what} | ${s.batch}x[${s.M}x${s.K}]@[${s.K}x${s.N}] ${flags} | ${native.toFixed(0)} | ${gflops.toFixed(0)} | ${xnnpack.toFixed(0)} | ${single.toFixed(0)} |`,
  );
  tf.dispose([a, b, a1, b1]);
}

// The tied head of R and M: [B*T, C] hidden states against wte [V, C], with the gradients of both.
console.log('| config | tied head, forward + backward | explicit transpose ms | GEMM flag ms |');
console.log('|---|---|---|---|');
for (const [config, N, V, C] of [
  ['R', 1024, 256, 128],
  ['M', 1024, 6400, 512],
] as const) {
  const h = tf.randomNormal([N, C]);
  const wte = tf.randomNormal([V, C]);
  const dy = tf.randomNormal([N, V]);
  const time = (head: (x: tf.Tensor, w: tf.Tensor) => tf.Tensor) =>
    fastest(() => tf.tidy(() => void tf.grads((x: tf.Tensor, w: tf.Tensor) => tf.sum(tf.mul(head(x, w), dy)))([h, wte]))) / 1000;
  const explicit = time((x, w) => matMulExplicitGrad(x, tf.transpose(w)));
  const flag = time((x, w) => matMulTransposedB(x, w));
  console.log(`| ${config} | [${N}x${C}] @ [${V}x${C}]^T | ${explicit.toFixed(2)} | ${flag.toFixed(2)} |`);
  tf.dispose([h, wte, dy]);
}
