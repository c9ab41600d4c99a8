// matMulExplicitGrad and batchMatMulLooped against tf.matMul (values and gradients) on cpu and
// wasm, plus a numeric (finite-difference) gradient check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { Rng, normalArray } from '../../random';
import { useBackend } from '../../node/backend';
import { batchMatMulLooped } from './batchMatMulLooped';
import { matMulExplicitGrad, matMulTransposedB } from './matmulExplicitGrad';
import { nativeGemm, setNativeGemm } from '../nativeGemm';

const rng = new Rng(7);
const randn = (shape: number[]) =>
  tf.tensor(
    normalArray(
      rng,
      shape.reduce((a, b) => a * b, 1),
      1,
    ),
    shape,
  );

function assertNear(a: tf.Tensor, b: tf.Tensor, what: string, tol = 1e-5) {
  assert.deepEqual(a.shape, b.shape, `${what}: shape`);
  const x = a.dataSync();
  const y = b.dataSync();
  for (let i = 0; i < x.length; i++) {
    assert.ok(Math.abs(x[i] - y[i]) <= tol * (1 + Math.abs(y[i])), `${what}[${i}]: ${x[i]} vs ${y[i]}`);
  }
}

/** |a - b| <= tol * max |b| everywhere: float32 rounding of sums that cancel, at the tensor's scale. */
function assertNearScaled(a: tf.Tensor, b: tf.Tensor, what: string, tol: number) {
  assert.deepEqual(a.shape, b.shape, `${what}: shape`);
  const x = a.dataSync();
  const y = b.dataSync();
  let largest = 0;
  for (const v of y) largest = Math.max(largest, Math.abs(v));
  const bound = tol * largest;
  for (let i = 0; i < x.length; i++) assert.ok(Math.abs(x[i] - y[i]) <= bound, `${what}[${i}]: ${x[i]} vs ${y[i]} (bound ${bound})`);
}

// Shapes: 2D linear layers, a wide hidden state (exercises the (dY^T A)^T branch), batched attention.
const CASES: [number[], number[]][] = [
  [
    [6, 5],
    [5, 7],
  ],
  [
    [9, 12],
    [12, 3],
  ],
  [
    [4, 6, 5],
    [4, 5, 3],
  ],
  [
    [2, 3, 4, 5],
    [2, 3, 5, 6],
  ],
];

for (const backend of ['cpu', 'wasm'] as const) {
  for (const [sa, sb] of CASES) {
    test(`matMulExplicitGrad and batchMatMulLooped equal tf.matMul on ${backend}: [${sa}] @ [${sb}]`, async () => {
      await useBackend(backend);
      tf.tidy(() => {
        const a = randn(sa);
        const b = randn(sb);
        const r = randn([...sa.slice(0, -1), sb[sb.length - 1]]); // weights of the scalar objective
        const stock = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, y), r)));
        for (const [name, f] of [
          ['matMulExplicitGrad', matMulExplicitGrad],
          ['batchMatMulLooped', batchMatMulLooped],
        ] as const) {
          assertNear(f(a, b), tf.matMul(a, b), `${name} value`);
          const ours = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(f(x, y), r)));
          const [da, db] = ours([a, b]);
          const [ea, eb] = stock([a, b]);
          assertNear(da, ea, `${name} dA`);
          assertNear(db, eb, `${name} dB`);
        }
      });
    });
  }

  test(`batched matmuls leave no tensors or wasm buffers behind on ${backend}`, async () => {
    await useBackend(backend);
    const a = randn([8, 4, 3]);
    const b = randn([8, 3, 5]);
    const step = () => tf.tidy(() => void tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(matMulExplicitGrad(x, y)))([a, b]));
    step();
    const before = tf.memory().numTensors;
    const dataIds = tf.engine().backend.numDataIds();
    for (let i = 0; i < 3; i++) step();
    assert.equal(tf.memory().numTensors, before);
    assert.equal(tf.engine().backend.numDataIds(), dataIds);
    tf.dispose([a, b]);
  });
}

test('matMulExplicitGrad gradient matches finite differences (cpu)', async () => {
  await useBackend('cpu');
  const a = randn([3, 4, 5]);
  const b = randn([3, 5, 2]);
  const r = randn([3, 4, 2]);
  const f = (x: tf.Tensor, y: tf.Tensor) => tf.tidy(() => tf.sum(tf.mul(matMulExplicitGrad(x, y), r)).dataSync()[0]);
  const [da, db] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(matMulExplicitGrad(x, y), r)))([a, b]);
  const eps = 1e-2;
  for (const [t, g, which] of [
    [a, da, 'a'],
    [b, db, 'b'],
  ] as const) {
    const vals = t.dataSync().slice();
    const grad = g.dataSync();
    for (const i of [0, 7, vals.length - 1]) {
      const bump = (d: number) => {
        const v = vals.slice();
        v[i] += d;
        return tf.tidy(() => {
          const moved = tf.tensor(v, t.shape);
          return which === 'a' ? f(moved, b) : f(a, moved);
        });
      };
      const numeric = (bump(eps) - bump(-eps)) / (2 * eps);
      assert.ok(Math.abs(numeric - grad[i]) < 2e-3 * (1 + Math.abs(grad[i])), `d/d${which}[${i}]: ${grad[i]} vs numeric ${numeric}`);
    }
  }
});

// Both ways of a @ b^T: the native GEMM with a transpose flag, and an explicit copy of b with
// plain products (XNNPACK on wasm, loops on cpu). Same values as tf.matMul to 1e-6; gradients sum
// up to 256 terms in another order, with cancellation, so they agree to 1e-6 of their largest entry.
const TRANSPOSED_B_CASES: [number[], number[]][] = [
  [
    [7, 5],
    [9, 5],
  ],
  [
    [64, 32],
    [256, 32], // a tied head: [N, C] @ [V, C]^T
  ],
];

for (const backend of ['cpu', 'wasm', 'wasm without native GEMM'] as const) {
  for (const [sa, sb] of TRANSPOSED_B_CASES) {
    test(`matMulTransposedB equals tf.matMul(a, b^T) on ${backend}: [${sa}] @ [${sb}]^T`, async () => {
      await useBackend(backend === 'cpu' ? 'cpu' : 'wasm');
      const gemm = nativeGemm();
      if (backend === 'wasm') assert.ok(gemm, 'the native GEMM should be installed on wasm in Node');
      if (backend !== 'wasm') setNativeGemm(undefined);
      try {
        tf.tidy(() => {
          const a = randn(sa);
          const b = randn(sb);
          const r = randn([sa[0], sb[0]]);
          const reference = (x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, tf.transpose(y));
          assertNear(matMulTransposedB(a, b), reference(a, b), 'value', 1e-6);
          const [da, db] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(matMulTransposedB(x, y), r)))([a, b]);
          const [ea, eb] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(reference(x, y), r)))([a, b]);
          assertNearScaled(da, ea, 'dA', 1e-6);
          assertNearScaled(db, eb, 'dB', 1e-6);
        });
      } finally {
        setNativeGemm(gemm);
      }
    });
  }
}

test('matMulTransposedB refuses operands whose inner dims differ, naming the shapes', async () => {
  await useBackend('cpu');
  assert.throws(() => matMulTransposedB(tf.zeros([2, 3]), tf.zeros([4, 5])), /matMulTransposedB: need \[M, K\] and \[N, K\], got \[2,3\] and \[4,5\]/);
});

test('shape errors name the shapes', async () => {
  await useBackend('cpu');
  assert.throws(() => matMulExplicitGrad(tf.zeros([2, 3, 4]), tf.zeros([4, 5])), /equal ranks/);
  assert.throws(() => matMulExplicitGrad(tf.zeros([2, 3, 4]), tf.zeros([3, 4, 5])), /batch dims must match/);
  assert.throws(() => batchMatMulLooped(tf.zeros([2, 3, 4]), tf.zeros([2, 5, 5])), /cannot multiply/);
});
