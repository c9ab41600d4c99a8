// Early freeing of intermediate gradients (eagerGradientDisposal.ts): backward passes keep only a
// bounded number of gradients alive along a long chain, gradients stay exactly right in the cases
// that must not be freed early (a dy passed straight through, one tensor returned for two inputs,
// a tensor used twice, multi-output ops), and nothing leaks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../node/backend';
import { customGrad } from './customGrad';
import { installEagerGradientDisposal } from './eagerGradientDisposal';

/** An op whose gradient records how many tensors are alive when it runs (the last one in backward). */
function probe(record: (n: number) => void) {
  return customGrad((x: tf.Tensor, save: tf.GradSaveFunc) => {
    save([]);
    return { value: tf.mul(x, 1), gradFunc: (dy: tf.Tensor) => (record(tf.memory().numTensors), tf.mul(dy, 1)) };
  });
}

test('a 60-op chain keeps O(1) gradients alive during the backward pass, not O(60)', async () => {
  await useBackend('cpu');
  installEagerGradientDisposal();
  const x = tf.tensor1d([0.5, -1, 2]);
  const before = tf.memory().numTensors;
  let atEnd = 0;
  const first = probe((n) => (atEnd = n));
  const [g] = tf.grads((t: tf.Tensor) => {
    let h = first(t);
    for (let i = 0; i < 60; i++) h = i % 2 ? tf.sin(h) : tf.tanh(h);
    return tf.sum(h);
  })([x]);
  // The 60 saved forward tensors are alive until the pass ends; without early freeing the 60
  // intermediate gradients would be too (126 alive here), with it a handful (66).
  assert.ok(atEnd - before < 80, `tensors alive at the last backward step: ${atEnd - before}`);
  // The gradient itself, against the same chain differentiated on the host.
  const expected = (x.arraySync() as number[]).map((v) => {
    let h = v;
    let d = 1;
    for (let i = 0; i < 60; i++) {
      if (i % 2) {
        d *= Math.cos(h);
        h = Math.sin(h);
      } else {
        h = Math.tanh(h);
        d *= 1 - h * h;
      }
    }
    return d;
  });
  (g.arraySync() as number[]).forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-4, `dx[${i}] ${v} vs ${expected[i]}`));
  g.dispose();
  assert.equal(tf.memory().numTensors, before, 'nothing leaks');
  x.dispose();
});

test('pass-through and shared gradients are never freed early', async () => {
  await useBackend('cpu');
  installEagerGradientDisposal();
  // passThrough returns dy itself; twin returns one tensor for both of its inputs.
  const passThrough = customGrad((x: tf.Tensor, save: tf.GradSaveFunc) => {
    save([]);
    return { value: tf.mul(x, 1), gradFunc: (dy: tf.Tensor) => dy };
  });
  const twin = customGrad((a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    save([]);
    return {
      value: tf.add(a, b),
      gradFunc: (dy: tf.Tensor) => {
        const g = tf.mul(dy, 2);
        return [g, g];
      },
    };
  });
  const x = tf.tensor1d([1, 2, 3]);
  const before = tf.memory().numTensors;
  const [g] = tf.grads((t: tf.Tensor) => {
    const p = passThrough(tf.square(t)); // d/dt = 2t
    const [u, v] = tf.split(tf.concat([p, tf.exp(t)]), 2); // a multi-output op: u = t^2, v = e^t
    const s = twin(tf.sin(u), tf.cos(v)); // both inputs get 2 dy
    return tf.sum(tf.mul(s, tf.add(t, u))); // t and u used twice
  })([x]);
  const want = [1, 2, 3].map((t) => {
    const u = t * t;
    const v = Math.exp(t);
    const s = Math.sin(u) + Math.cos(v);
    const w = t + u;
    // d/dt [s * w] with s' = 2 (cos(u) u' - sin(v) v'), u' = 2t, v' = e^t, w' = 1 + 2t; twin doubles dy
    return 2 * (Math.cos(u) * 2 * t - Math.sin(v) * v) * w + s * (1 + 2 * t);
  });
  (g.arraySync() as number[]).forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-3 * (1 + Math.abs(want[i])), `dx[${i}] ${v} vs ${want[i]}`));
  g.dispose();
  assert.equal(tf.memory().numTensors, before, 'nothing leaks');
});
