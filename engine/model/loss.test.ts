// crossEntropy against PyTorch's F.cross_entropy (value and gradient) on cpu and wasm, plus
// numerical stability and input checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../node/backend';
import { assertClose, decode, gradTol, type StoredTensor, TEST_BACKENDS, toTensor } from './fixtures/reference';
import { crossEntropy } from './loss';

const ce = JSON.parse(readFileSync(new URL('./fixtures/model_fixtures.json', import.meta.url), 'utf8')).components.crossEntropy as {
  logits: StoredTensor;
  targets: number[][];
  loss: number;
  dlogits: StoredTensor;
};

/** Mean cross-entropy in float64 on the host, the textbook way (log-sum-exp with max shift). */
function reference(logits: number[][][], targets: number[][]): number {
  let total = 0;
  let n = 0;
  logits.forEach((rows, b) =>
    rows.forEach((row, t) => {
      const m = Math.max(...row);
      const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
      total += lse - row[targets[b][t]];
      n++;
    }),
  );
  return total / n;
}

for (const backend of TEST_BACKENDS) {
  test(`crossEntropy matches PyTorch on ${backend} (value and gradient)`, async () => {
    await useBackend(backend);
    tf.tidy(() => {
      const logits = toTensor(ce.logits) as tf.Tensor3D;
      const targets = tf.tensor2d(ce.targets, undefined, 'int32');
      assertClose([crossEntropy(logits, targets).dataSync()[0]], [ce.loss], 'loss');
      const g = tf.grad((l: tf.Tensor) => crossEntropy(l as tf.Tensor3D, targets))(logits);
      assertClose(g.dataSync(), decode(ce.dlogits), 'dlogits', gradTol(decode(ce.dlogits)));
    });
  });

  test(`crossEntropy is stable for huge logits on ${backend}`, async () => {
    await useBackend(backend);
    const rows = [
      [
        [1000, -1000, 0],
        [-500, 500, 499],
      ],
      [
        [3, 2, 1],
        [0, 0, 0],
      ],
    ];
    const targets = [
      [1, 2],
      [0, 1],
    ];
    const loss = tf.tidy(() => crossEntropy(tf.tensor3d(rows), tf.tensor2d(targets, undefined, 'int32')).dataSync()[0]);
    assert.ok(Number.isFinite(loss));
    assert.ok(Math.abs(loss - reference(rows, targets)) < 1e-4, `${loss} vs ${reference(rows, targets)}`);
  });
}

test('crossEntropy checks its targets', async () => {
  await useBackend('cpu');
  const logits = tf.zeros([2, 3, 4]) as tf.Tensor3D;
  assert.throws(() => crossEntropy(logits, tf.zeros([2, 3]) as tf.Tensor2D), /int32/);
  assert.throws(() => crossEntropy(logits, tf.zeros([3, 2], 'int32') as tf.Tensor2D), /do not match/);
  // Uniform logits: loss is ln(V).
  assert.ok(Math.abs(crossEntropy(logits, tf.zeros([2, 3], 'int32') as tf.Tensor2D).dataSync()[0] - Math.log(4)) < 1e-6);
});
