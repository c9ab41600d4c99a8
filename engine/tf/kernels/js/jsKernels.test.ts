// The JS kernels (kernels/js) against the composed ops they replace: every fused op is run with
// its kernel and again with the kernel unregistered (the fallback the other backends take) on the
// cpu backend, where they are registered; values and gradients must agree. Plus finite-difference
// checks of the fused norm gradients and the kernels' input checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { crossEntropy } from '../../../model/loss';
import { normalArray, Rng } from '../../../random';
import { useBackend } from '../../backend';
import { FusedAdamUpdate, LayerNormForward, Rope, RmsNormForward, SoftmaxCrossEntropy, TransposeLast2 } from '../../names';
import { fusedAdamUpdate } from '../../ops/fusedAdamUpdate';
import { layerNorm, rmsNorm } from '../../ops/norms';
import { applyRope, halfSwapMatrix } from '../../ops/rope';
import { transposeLast2 } from '../../ops/transposeLast2';
import { ensureKernelsRegistered } from '../../register';

const rng = new Rng(11);
const randn = (shape: number[], std = 1) => tf.tensor(normalArray(rng, shape.reduce((a, b) => a * b, 1), std), shape);

function assertNear(a: tf.Tensor, b: tf.Tensor, what: string, tol = 2e-5): void {
  assert.deepEqual(a.shape, b.shape, `${what}: shape`);
  const x = a.dataSync();
  const y = b.dataSync();
  for (let i = 0; i < x.length; i++) {
    assert.ok(Math.abs(x[i] - y[i]) <= tol * (1 + Math.abs(y[i])), `${what}[${i}]: fused ${x[i]} vs composed ${y[i]}`);
  }
}

/** Runs f with the kernels `names` unregistered for the active backend (the composed fallback). */
function composed<T>(names: string[], f: () => T): T {
  const backend = tf.getBackend();
  const saved = names.map((n) => tf.getKernel(n, backend)!);
  for (const n of names) tf.unregisterKernel(n, backend);
  try {
    return f();
  } finally {
    for (const k of saved) tf.registerKernel(k);
  }
}

/** Values and all input gradients of sum(f(...) * r), r a fixed random weighting. */
function valueAndGrads(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[], r: tf.Tensor): tf.Tensor[] {
  const value = f(...inputs);
  const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), r)))(inputs);
  return [value, ...grads];
}

async function registeredOn(backend: 'cpu' | 'wasm', kernel: string): Promise<boolean> {
  await useBackend(backend);
  ensureKernelsRegistered();
  return tf.getKernel(kernel, backend) !== undefined;
}

for (const backend of ['cpu'] as const) {
  test(`TransposeLast2 on ${backend}: equals tf.transpose for 2-D and batched inputs, gradient included`, async () => {
    assert.ok(await registeredOn(backend, TransposeLast2));
    tf.tidy(() => {
      for (const shape of [[5, 7], [3, 70, 130], [2, 2, 3, 4]]) {
        const x = randn(shape);
        const perm = [...shape.keys()];
        [perm[perm.length - 2], perm[perm.length - 1]] = [perm[perm.length - 1], perm[perm.length - 2]];
        assert.deepEqual(transposeLast2(x).arraySync(), tf.transpose(x, perm).arraySync(), `[${shape}]`);
        const r = randn([...shape.slice(0, -2), shape.at(-1)!, shape.at(-2)!]);
        const [g] = tf.grads((t: tf.Tensor) => tf.sum(tf.mul(transposeLast2(t), r)))([x]);
        assert.deepEqual(g.arraySync(), tf.transpose(r, perm).arraySync(), `grad [${shape}]`);
      }
      const ints = tf.tensor2d([[1, 2, 3], [4, 5, 6]], [2, 3], 'int32'); // int32 takes tf.transpose
      assert.deepEqual(transposeLast2(ints).arraySync(), [[1, 4], [2, 5], [3, 6]]);
    });
  });

  test(`LayerNorm and RMSNorm kernels on ${backend} equal the composed ops (values, dx, dweight, dbias)`, async () => {
    assert.ok(await registeredOn(backend, LayerNormForward));
    tf.tidy(() => {
      const x = tf.add(randn([2, 5, 12], 2), 3); // an offset mean exercises the centring
      const w = randn([12]);
      const b = randn([12]);
      const r = randn([2, 5, 12]);
      const ln = (a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => layerNorm(a, c as tf.Tensor1D, d as tf.Tensor1D, 1e-5);
      const rms = (a: tf.Tensor, c: tf.Tensor) => rmsNorm(a, c as tf.Tensor1D, 1e-5);
      const fusedLn = valueAndGrads(ln, [x, w, b], r);
      const plainLn = composed([LayerNormForward], () => valueAndGrads(ln, [x, w, b], r));
      fusedLn.forEach((t, i) => assertNear(t, plainLn[i], `layerNorm ${['y', 'dx', 'dw', 'db'][i]}`));
      const fusedRms = valueAndGrads(rms, [x, w], r);
      const plainRms = composed([RmsNormForward], () => valueAndGrads(rms, [x, w], r));
      fusedRms.forEach((t, i) => assertNear(t, plainRms[i], `rmsNorm ${['y', 'dx', 'dw'][i]}`));
    });
  });
}

test('fused norm gradients match finite differences (cpu, float64 reference on the host)', async () => {
  await useBackend('cpu');
  const C = 6;
  const xs = normalArray(rng, 2 * C, 1.5);
  const ws = normalArray(rng, C, 1);
  const bs = normalArray(rng, C, 1);
  const rs = normalArray(rng, 2 * C, 1);
  // Host reference of sum(norm(x) * r) in float64.
  const objective = (x: ArrayLike<number>, kind: 'ln' | 'rms') => {
    let total = 0;
    for (let n = 0; n < 2; n++) {
      const row = Array.from({ length: C }, (_, c) => x[n * C + c]);
      const mean = kind === 'ln' ? row.reduce((s, v) => s + v, 0) / C : 0;
      const ms = row.reduce((s, v) => s + (v - mean) ** 2, 0) / C;
      const rstd = 1 / Math.sqrt(ms + 1e-5);
      row.forEach((v, c) => (total += ((v - mean) * rstd * ws[c] + (kind === 'ln' ? bs[c] : 0)) * rs[n * C + c]));
    }
    return total;
  };
  for (const kind of ['ln', 'rms'] as const) {
    const [dx] = tf.grads((t: tf.Tensor) => {
      const y = kind === 'ln' ? layerNorm(t, tf.tensor1d(ws), tf.tensor1d(bs), 1e-5) : rmsNorm(t, tf.tensor1d(ws), 1e-5);
      return tf.sum(tf.mul(y, tf.tensor2d(rs, [2, C])));
    })([tf.tensor2d(xs, [2, C])]);
    const got = dx.dataSync();
    const eps = 1e-4;
    for (let i = 0; i < 2 * C; i++) {
      const up = Float64Array.from(xs);
      const down = Float64Array.from(xs);
      up[i] += eps;
      down[i] -= eps;
      const numeric = (objective(up, kind) - objective(down, kind)) / (2 * eps);
      assert.ok(Math.abs(got[i] - numeric) < 1e-3 * (1 + Math.abs(numeric)), `${kind} dx[${i}]: ${got[i]} vs numeric ${numeric}`);
    }
  }
});

test('Rope kernel (cpu) equals the composed RoPE, forward and backward', async () => {
  assert.ok(await registeredOn('cpu', Rope));
  tf.tidy(() => {
    const [B, T, H, hs] = [2, 5, 3, 8];
    const x = randn([B, T, H, hs]);
    const cos = randn([T, 1, hs]);
    const sin = randn([T, 1, hs]);
    const swap = halfSwapMatrix(hs);
    const r = randn([B, T, H, hs]);
    const f = (t: tf.Tensor) => applyRope(t, cos, sin, swap);
    const fused = valueAndGrads(f, [x], r);
    const plain = composed([Rope], () => valueAndGrads(f, [x], r));
    fused.forEach((t, i) => assertNear(t, plain[i], `rope ${i ? 'dx' : 'y'}`));
  });
});

test('SoftmaxCrossEntropy kernel (cpu) equals the composed loss and gradient, and checks targets', async () => {
  assert.ok(await registeredOn('cpu', SoftmaxCrossEntropy));
  tf.tidy(() => {
    const logits = tf.mul(randn([2, 3, 7]), 4) as tf.Tensor3D;
    const targets = tf.tensor2d([[0, 6, 3], [3, 3, 1]], [2, 3], 'int32');
    const f = (l: tf.Tensor) => crossEntropy(l as tf.Tensor3D, targets);
    const fused = valueAndGrads(f, [logits], tf.scalar(1.5));
    const plain = composed([SoftmaxCrossEntropy], () => valueAndGrads(f, [logits], tf.scalar(1.5)));
    fused.forEach((t, i) => assertNear(t, plain[i], `crossEntropy ${i ? 'dlogits' : 'loss'}`));
    assert.throws(() => crossEntropy(logits, tf.tensor2d([[0, 7, 3], [3, 3, 1]], [2, 3], 'int32')), /target 7 at position 1 is outside \[0, 7\)/);
  });
});

test('FusedAdamUpdate (cpu) equals the composed Adam/AdamW step', async () => {
  assert.ok(await registeredOn('cpu', FusedAdamUpdate));
  tf.tidy(() => {
    const p = randn([33]);
    const g = randn([33]);
    const m = tf.mul(randn([33]), 0.1);
    const v = tf.abs(tf.mul(randn([33]), 0.01));
    const [lr, wd, b1, b2, eps, t] = [3e-3, 0.1, 0.9, 0.95, 1e-8, 4];
    for (const [decay, l2] of [[1 - lr * wd, 0], [1, wd]]) {
      const [p2, m2, v2] = fusedAdamUpdate(p, g, m, v, {
        beta1: b1, beta2: b2, eps, decay, l2, stepSize: lr / (1 - b1 ** t), bc2Sqrt: Math.sqrt(1 - b2 ** t),
      });
      // torch.optim.Adam(W), written out with ops
      const gi = tf.add(g, tf.mul(p, l2));
      const mRef = tf.add(tf.mul(m, b1), tf.mul(gi, 1 - b1));
      const vRef = tf.add(tf.mul(v, b2), tf.mul(tf.square(gi), 1 - b2));
      const denom = tf.add(tf.div(tf.sqrt(vRef), Math.sqrt(1 - b2 ** t)), eps);
      const pRef = tf.sub(tf.mul(p, decay), tf.mul(tf.div(mRef, denom), lr / (1 - b1 ** t)));
      assertNear(m2, mRef, 'm');
      assertNear(v2, vRef, 'v');
      assertNear(p2, pRef, 'p');
    }
    assert.throws(() => fusedAdamUpdate(p, randn([32]), m, v, { beta1: b1, beta2: b2, eps, decay: 1, l2: 0, stepSize: 1, bc2Sqrt: 1 }), /g must be float32 \[33\]/);
  });
});
