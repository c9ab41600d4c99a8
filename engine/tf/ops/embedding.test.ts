// embedding (row lookup with a scatter-add gradient) and the wasm GatherRows kernel, on cpu and
// wasm, against tf.gather and a one-hot matmul reference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../../node/backend';
import { GatherRows } from '../names';
import { embedding } from './embedding';

const V = 6;
const C = 3;
const table = () =>
  tf.tensor2d(
    Array.from({ length: V * C }, (_, i) => i * 0.5 - 2),
    [V, C],
  );
// Repeated ids (1 three times, 4 twice) must have their gradients summed.
const IDS = [
  [1, 4, 1],
  [0, 1, 4],
];

for (const backend of ['cpu', 'wasm'] as const) {
  test(`embedding on ${backend}: lookup equals tf.gather, gradient sums repeated rows`, async () => {
    await useBackend(backend);
    tf.tidy(() => {
      const w = table();
      const ids = tf.tensor2d(IDS, [2, 3], 'int32');
      const out = embedding(w, ids);
      assert.deepEqual(out.shape, [2, 3, C]);
      assert.deepEqual(out.arraySync(), tf.reshape(tf.gather(w, tf.reshape(ids, [6])), [2, 3, C]).arraySync());
      // Reference gradient of sum(out * r): onehot(ids)^T @ r, a plain matmul.
      const r = tf.tensor3d(
        Array.from({ length: 18 }, (_, i) => Math.sin(i)),
        [2, 3, C],
      );
      const dW = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(embedding(t as tf.Tensor2D, ids), r)))(w);
      const oneHot = tf.cast(tf.oneHot(tf.reshape(ids, [6]), V), 'float32'); // int32 one-hot: float32 is broken on wasm
      const expected = tf.matMul(oneHot, tf.reshape(r, [6, C]), true, false);
      const got = dW.dataSync();
      const want = expected.dataSync();
      for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i] - want[i]) < 1e-6, `dW[${i}]: ${got[i]} vs ${want[i]}`);
      // Rows never looked up (2, 3, 5) get exactly zero.
      for (const row of [2, 3, 5]) for (let c = 0; c < C; c++) assert.equal(got[row * C + c], 0);
    });
  });

  test(`embedding on ${backend}: rejects float ids`, async () => {
    await useBackend(backend);
    assert.throws(() => embedding(table(), tf.tensor1d([1, 2])), /int32/);
  });
}

test('the GatherRows kernel is used on wasm and checks its indices', async () => {
  await useBackend('wasm');
  await embedding(table(), tf.tensor1d([0], 'int32')).data(); // registers the kernels
  assert.ok(tf.getKernel(GatherRows, 'wasm'), 'registered for wasm');
  assert.equal(tf.getKernel(GatherRows, 'cpu'), undefined, 'cpu falls back to tf.gather');
  const out = tf.engine().runKernel(GatherRows, { table: table(), ids: tf.tensor1d([5, 0, 5], 'int32') }) as tf.Tensor;
  assert.deepEqual(out.arraySync(), [
    [5.5, 6, 6.5],
    [-2, -1.5, -1],
    [5.5, 6, 6.5],
  ]);
  assert.throws(() => tf.engine().runKernel(GatherRows, { table: table(), ids: tf.tensor1d([2, 6], 'int32') }), /index 6 at position 1 is outside \[0, 6\)/);
});
