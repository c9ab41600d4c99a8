// matMulExplicitGrad and batchMatMulLooped against tf.matMul (values and gradients) on cpu and
// wasm, plus a numeric (finite-difference) gradient check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { Rng, normalArray } from '../../random';
import { useBackend } from '../../node/backend';
import { batchMatMulLooped } from './batchMatMulLooped';
import { matMulExplicitGrad } from './matmulExplicitGrad';

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

test('shape errors name the shapes', async () => {
  await useBackend('cpu');
  assert.throws(() => matMulExplicitGrad(tf.zeros([2, 3, 4]), tf.zeros([4, 5])), /equal ranks/);
  assert.throws(() => matMulExplicitGrad(tf.zeros([2, 3, 4]), tf.zeros([3, 4, 5])), /batch dims must match/);
  assert.throws(() => batchMatMulLooped(tf.zeros([2, 3, 4]), tf.zeros([2, 5, 5])), /cannot multiply/);
});
