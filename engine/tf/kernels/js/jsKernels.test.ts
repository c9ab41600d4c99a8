// The engine's fused kernels (kernels/js: scalar loops on cpu, SIMD128 on wasm with the scalar
// loops as wasm's fallback for other shapes) against the composed ops they replace: every fused op
// runs with its kernel and again with the kernel unregistered (what GPU backends run), on cpu and
// wasm, with shapes that take the SIMD path and shapes that do not; values and gradients must
// agree. Plus finite-difference checks of the fused norm gradients and the kernels' input checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { crossEntropy } from '../../../model/loss';
import { normalArray, Rng } from '../../../random';
import { useBackend } from '../../../node/backend';
import {
  FusedAdamUpdate,
  GeluForward,
  GlobalNorm,
  LayerNormForward,
  Rope,
  RmsNormForward,
  ScaleAll,
  SoftmaxCrossEntropy,
  SwapMiddleAxes,
  SwigluForward,
  TransposeLast2,
} from '../../names';
import { fusedAdamUpdate } from '../../ops/fusedAdamUpdate';
import { geluTanh } from '../../ops/gelu';
import { globalNorm, scaleAll } from '../../ops/multiTensor';
import { layerNorm, rmsNorm } from '../../ops/norms';
import { applyRope, halfSwapMatrix } from '../../ops/rope';
import { swapMiddleAxes } from '../../ops/swapMiddleAxes';
import { swiglu } from '../../ops/swiglu';
import { transposeLast2 } from '../../ops/transposeLast2';
import { ensureKernelsRegistered } from '../../register';

const rng = new Rng(11);
const randn = (shape: number[], std = 1) =>
  tf.tensor(
    normalArray(
      rng,
      shape.reduce((a, b) => a * b, 1),
      std,
    ),
    shape,
  );

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

for (const backend of ['cpu', 'wasm'] as const) {
  test(`TransposeLast2 and SwapMiddleAxes on ${backend}: equal tf.transpose, gradients included`, async () => {
    assert.ok(await registeredOn(backend, TransposeLast2));
    tf.tidy(() => {
      for (const shape of [
        [5, 7],
        [3, 70, 130],
        [2, 2, 3, 4],
        [3, 8, 12],
        [64, 16],
      ]) {
        const x = randn(shape);
        const perm = [...shape.keys()];
        [perm[perm.length - 2], perm[perm.length - 1]] = [perm[perm.length - 1], perm[perm.length - 2]];
        assert.deepEqual(transposeLast2(x).arraySync(), tf.transpose(x, perm).arraySync(), `[${shape}]`);
        const r = randn([...shape.slice(0, -2), shape.at(-1)!, shape.at(-2)!]);
        const [g] = tf.grads((t: tf.Tensor) => tf.sum(tf.mul(transposeLast2(t), r)))([x]);
        assert.deepEqual(g.arraySync(), tf.transpose(r, perm).arraySync(), `grad [${shape}]`);
      }
      const ints = tf.tensor2d(
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        [2, 3],
        'int32',
      ); // int32 takes tf.transpose
      assert.deepEqual(transposeLast2(ints).arraySync(), [
        [1, 4],
        [2, 5],
        [3, 6],
      ]);
      assert.ok(tf.getKernel(SwapMiddleAxes, backend));
      for (const shape of [
        [2, 3, 4, 8],
        [2, 3, 4, 5],
      ]) {
        const x = randn(shape);
        assert.deepEqual(swapMiddleAxes(x).arraySync(), tf.transpose(x, [0, 2, 1, 3]).arraySync(), `swap [${shape}]`);
        const r = randn([shape[0], shape[2], shape[1], shape[3]]);
        const [g] = tf.grads((t: tf.Tensor) => tf.sum(tf.mul(swapMiddleAxes(t), r)))([x]);
        assert.deepEqual(g.arraySync(), tf.transpose(r, [0, 2, 1, 3]).arraySync(), `swap grad [${shape}]`);
      }
    });
  });

  test(`GELU and SwiGLU kernels on ${backend} equal the composed ops (values and gradients)`, async () => {
    assert.ok(await registeredOn(backend, GeluForward));
    tf.tidy(() => {
      for (const shape of [[3, 10], [2, 16], [3]]) {
        // 30 (tail), 32 (exact) and 3 (< 4, scalar) elements
        const x = tf.mul(randn(shape), 3);
        const up = randn(shape);
        const r = randn(shape);
        const g1 = valueAndGrads((a) => geluTanh(a), [x], r);
        const g0 = composed([GeluForward], () => valueAndGrads((a) => geluTanh(a), [x], r));
        g1.forEach((t, i) => assertNear(t, g0[i], `gelu [${shape}] ${i ? 'dx' : 'y'}`, 1e-4));
        const s1 = valueAndGrads((a, b) => swiglu(a, b), [x, up], r);
        const s0 = composed([SwigluForward], () => valueAndGrads((a, b) => swiglu(a, b), [x, up], r));
        s1.forEach((t, i) => assertNear(t, s0[i], `swiglu [${shape}] ${['y', 'dgate', 'dup'][i]}`, 1e-4));
      }
    });
  });

  for (const C of [12, 6]) {
    // wasm: 12 takes SIMD, 6 the scalar fallback
    test(`LayerNorm and RMSNorm kernels on ${backend}, C = ${C}, equal the composed ops (values, dx, dweight, dbias)`, async () => {
      assert.ok(await registeredOn(backend, LayerNormForward));
      tf.tidy(() => {
        const x = tf.add(randn([2, 5, C], 2), 3); // an offset mean exercises the centring
        const w = randn([C]);
        const b = randn([C]);
        const r = randn([2, 5, C]);
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

  test(`Rope kernel on ${backend} equals the composed RoPE, forward and backward (SIMD and scalar head sizes)`, async () => {
    assert.ok(await registeredOn(backend, Rope));
    tf.tidy(() => {
      for (const hs of [8, 4]) {
        const [B, T, H] = [2, 5, 3];
        const x = randn([B, T, H, hs]);
        const cos = randn([T, 1, hs]);
        const sin = randn([T, 1, hs]);
        const swap = halfSwapMatrix(hs);
        const r = randn([B, T, H, hs]);
        const f = (t: tf.Tensor) => applyRope(t, cos, sin, swap);
        const fused = valueAndGrads(f, [x], r);
        const plain = composed([Rope], () => valueAndGrads(f, [x], r));
        fused.forEach((t, i) => assertNear(t, plain[i], `rope hs=${hs} ${i ? 'dx' : 'y'}`));
      }
    });
  });

  test(`SoftmaxCrossEntropy kernel on ${backend} equals the composed loss and gradient, and checks targets`, async () => {
    assert.ok(await registeredOn(backend, SoftmaxCrossEntropy));
    tf.tidy(() => {
      for (const V of [7, 12]) {
        // wasm: 12 takes SIMD, 7 the scalar fallback
        const logits = tf.mul(randn([2, 3, V]), 4) as tf.Tensor3D;
        const targets = tf.tensor2d(
          [
            [0, V - 1, 3],
            [3, 3, 1],
          ],
          [2, 3],
          'int32',
        );
        const f = (l: tf.Tensor) => crossEntropy(l as tf.Tensor3D, targets);
        const fused = valueAndGrads(f, [logits], tf.scalar(1.5));
        const plain = composed([SoftmaxCrossEntropy], () => valueAndGrads(f, [logits], tf.scalar(1.5)));
        fused.forEach((t, i) => assertNear(t, plain[i], `crossEntropy V=${V} ${i ? 'dlogits' : 'loss'}`));
        assert.throws(
          () =>
            crossEntropy(
              logits,
              tf.tensor2d(
                [
                  [0, V, 3],
                  [3, 3, 1],
                ],
                [2, 3],
                'int32',
              ),
            ),
          new RegExp(`target ${V} at position 1 is outside \\[0, ${V}\\)`),
        );
      }
    });
  });

  test(`FusedAdamUpdate on ${backend} equals the composed Adam/AdamW step`, async () => {
    assert.ok(await registeredOn(backend, FusedAdamUpdate));
    tf.tidy(() => {
      for (const n of [33, 3]) {
        // wasm: 33 takes SIMD (with a tail), 3 the scalar fallback
        const p = randn([n]);
        const g = randn([n]);
        const m = tf.mul(randn([n]), 0.1);
        const v = tf.abs(tf.mul(randn([n]), 0.01));
        const [lr, wd, b1, b2, eps, t] = [3e-3, 0.1, 0.9, 0.95, 1e-8, 4];
        for (const [decay, l2] of [
          [1 - lr * wd, 0],
          [1, wd],
        ]) {
          const [p2, m2, v2] = fusedAdamUpdate(p, g, m, v, {
            beta1: b1,
            beta2: b2,
            eps,
            decay,
            l2,
            stepSize: lr / (1 - b1 ** t),
            bc2Sqrt: Math.sqrt(1 - b2 ** t),
          });
          // torch.optim.Adam(W), written out with ops
          const gi = tf.add(g, tf.mul(p, l2));
          const mRef = tf.add(tf.mul(m, b1), tf.mul(gi, 1 - b1));
          const vRef = tf.add(tf.mul(v, b2), tf.mul(tf.square(gi), 1 - b2));
          const denom = tf.add(tf.div(tf.sqrt(vRef), Math.sqrt(1 - b2 ** t)), eps);
          const pRef = tf.sub(tf.mul(p, decay), tf.mul(tf.div(mRef, denom), lr / (1 - b1 ** t)));
          assertNear(m2, mRef, `m (n=${n})`);
          assertNear(v2, vRef, `v (n=${n})`);
          assertNear(p2, pRef, `p (n=${n})`);
        }
        assert.throws(
          () => fusedAdamUpdate(p, randn([n + 1]), m, v, { beta1: b1, beta2: b2, eps, decay: 1, l2: 0, stepSize: 1, bc2Sqrt: 1 }),
          new RegExp(`g must be float32 \\[${n}\\]`),
        );
      }
    });
  });

  test(`GlobalNorm and ScaleAll on ${backend} equal the per-tensor ops, for lengths SIMD takes and not`, async () => {
    assert.ok((await registeredOn(backend, GlobalNorm)) && tf.getKernel(ScaleAll, backend) !== undefined);
    tf.tidy(() => {
      // wasm: 3 and [] take the scalar fallback of ScaleAll, 5 a SIMD tail, the rest whole vectors
      const xs = [randn([64, 33]), randn([3]), randn([5]), randn([]), randn([2, 2, 8], 100)];
      const coef = tf.scalar(0.37);
      const fused = [globalNorm(xs), ...scaleAll(xs, coef)];
      const reference = composed([GlobalNorm, ScaleAll], () => [globalNorm(xs), ...scaleAll(xs, coef)]);
      assert.equal(reference.length, 1 + xs.length);
      fused.forEach((t, i) => assertNear(t, reference[i], i === 0 ? 'norm' : `x${i - 1} * coef`, 1e-6));
      const host = xs.flatMap((x) => Array.from(x.dataSync()));
      const want = Math.sqrt(host.reduce((s, v) => s + v * v, 0));
      assert.ok(Math.abs(fused[0].dataSync()[0] - want) <= 1e-6 * want, `norm ${fused[0].dataSync()[0]} vs float64 ${want}`);
      assert.deepEqual(globalNorm([]).dataSync(), new Float32Array([0]));
      assert.deepEqual(scaleAll([], coef), []);
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
