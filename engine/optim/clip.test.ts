// Clipping against torch.nn.utils.clip_grad_norm_ (fixtures/clip.json, from make_optim_fixtures.py).
import '../node/tfjs'; // tfjs-core with its gradients, as Node sets it up
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import fixtures from './fixtures/clip.json' with { type: 'json' };
import { useBackend } from '../node/backend';
import { clipByGlobalNorm, globalNorm } from './clip';

interface FixtureCase {
  name: string;
  maxNorm: number | 'Infinity'; // JSON has no Infinity
  grads: Record<string, { shape: number[]; values: number[] }>;
  norm: number; // torch's total norm before clipping
  clipped: Record<string, number[]>; // torch's grads after clipping (unchanged when maxNorm <= 0 or Infinity)
}
const cases = fixtures.cases as unknown as FixtureCase[];

const REL = 1e-6; // float32 sums of a few dozen squares
const ABS = 1e-12; // the tiny_norm case has values ~1e-7
function assertClose(actual: ArrayLike<number>, expected: number[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= ABS + REL * Math.abs(expected[i]), `${what}[${i}]: got ${actual[i]}, torch ${expected[i]}`);
  }
}

const makeGrads = (c: FixtureCase) => new Map(Object.entries(c.grads).map(([name, { shape, values }]) => [name, tf.tensor(values, shape)]));

// wasm and cpu run the one-call kernels (GlobalNorm, ScaleAll); cpu last, for the tests below.
for (const [backend, c] of (['wasm', 'cpu'] as const).flatMap((b) => cases.map((c) => [b, c] as const))) {
  test(`${c.name} on ${backend}: clipByGlobalNorm matches torch's clip_grad_norm_`, async () => {
    await useBackend(backend);
    const grads = makeGrads(c);
    const inputs = Object.fromEntries([...grads].map(([n, g]) => [n, g.dataSync().slice()]));
    const before = tf.memory().numTensors;
    const maxNorm = c.maxNorm === 'Infinity' ? Infinity : c.maxNorm;
    const out = clipByGlobalNorm(grads, maxNorm);

    assertClose(out.norm.dataSync(), [c.norm], `${c.name} norm`);
    assert.deepEqual([...out.grads.keys()], [...grads.keys()]);
    for (const [name, g] of out.grads) {
      assert.deepEqual(g.shape, c.grads[name].shape);
      assertClose(g.dataSync(), c.clipped[name], `${c.name} ${name}`);
    }
    const wantsClip = maxNorm > 0 && maxNorm < Infinity && c.norm > maxNorm;
    assert.equal(out.coef.dataSync()[0] < 1, wantsClip, `${c.name}: coef ${out.coef.dataSync()[0]}`);

    // Inputs untouched and still alive; outputs are exactly the new tensors.
    for (const [name, g] of grads) assert.deepEqual(g.dataSync(), inputs[name]);
    assert.equal(tf.memory().numTensors, before + out.grads.size + 2);
    for (const t of [...out.grads.values(), out.norm, out.coef]) t.dispose();
    assert.equal(tf.memory().numTensors, before);
    for (const g of grads.values()) g.dispose();
  });
}

test('the fixture clips in some cases and not in others', () => {
  const scaled = cases.filter((c) => c.grads.g0.values.some((v, i) => v !== c.clipped.g0[i]));
  assert.deepEqual(
    scaled.map((c) => c.name),
    ['above_max', 'far_above', 'tiny_norm'],
  );
});

test('globalNorm: sqrt of the sum of all squares; 0 for no grads; leaks nothing', () => {
  const grads = new Map<string, tf.Tensor>([
    ['a', tf.tensor([3, 0])],
    ['b', tf.tensor([[4]])],
    ['c', tf.tensor([12])],
  ]);
  const before = tf.memory().numTensors;
  const n = globalNorm(grads);
  assert.equal(n.dataSync()[0], 13);
  assert.equal(n.rank, 0);
  n.dispose();
  assert.equal(tf.memory().numTensors, before);
  const empty = clipByGlobalNorm(new Map(), 1);
  assert.equal(empty.norm.dataSync()[0], 0);
  assert.equal(empty.grads.size, 0);
  empty.norm.dispose();
  empty.coef.dispose();
  assert.equal(tf.memory().numTensors, before);
  for (const g of grads.values()) g.dispose();
});

test('clipping scales to maxNorm (within torch 1e-6 epsilon) and rejects NaN', () => {
  const grads = new Map<string, tf.Tensor>([['a', tf.tensor([30, 40])]]); // norm 50
  const out = clipByGlobalNorm(grads, 5);
  const after = globalNorm(out.grads);
  assert.ok(Math.abs(after.dataSync()[0] - 5) < 1e-5);
  assertClose(out.grads.get('a')!.dataSync(), [3, 4], 'scaled');
  assert.throws(() => clipByGlobalNorm(grads, NaN), RangeError);
  tf.dispose([...out.grads.values(), out.norm, out.coef, after, ...grads.values()]);
});
