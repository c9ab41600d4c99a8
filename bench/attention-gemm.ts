// The attention products of configs R and M, one at a time: OpenBLAS (one call per batch entry),
// the stock XNNPACK kernel, and the same flops as one GEMM (what fewer calls could reach at best),
// plus the cost of one FFI call. Prints µs per product, fastest of many runs.
// Usage: node --import tsx bench/attention-gemm.ts [--reps 30]
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../engine/node/backend';
import { nativeGemm, setNativeGemm } from '../engine/tf/nativeGemm';

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
const ffiUs = fastest(() => {
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
  console.log(`| ${s.config} | ${s.what} | ${s.batch}x[${s.M}x${s.K}]@[${s.K}x${s.N}] ${flags} | ${native.toFixed(0)} | ${gflops.toFixed(0)} | ${xnnpack.toFixed(0)} | ${single.toFixed(0)} |`);
  tf.dispose([a, b, a1, b1]);
}
