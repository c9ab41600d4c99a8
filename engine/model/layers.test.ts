// Each building block against PyTorch (fixtures/make_model_fixtures.py, "components"), values and
// gradients, on cpu and wasm; and the hand-written gradients against tfjs autodiff of the
// textbook formulas.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { normalArray, Rng } from '../random';
import { useBackend } from '../node/backend';
import { assertClose, decode, gradTol, type StoredTensor, TEST_BACKENDS, toTensor } from './fixtures/reference';
import { applyRope, AttentionTables, causalSelfAttention, geluTanh, halfSwapMatrix, layerNorm, rmsNorm, rope, ropeTables, rotateHalf, swiglu } from './layers';

type Stored = Record<string, StoredTensor> & Record<string, unknown>;
const comp = JSON.parse(readFileSync(new URL('./fixtures/model_fixtures.json', import.meta.url), 'utf8')).components as Record<string, Stored>;
const T = (s: unknown) => toTensor(s as StoredTensor);
const D = (s: unknown) => decode(s as StoredTensor);

/** Value and gradients of sum(f(...xs) * r) w.r.t. every input, as flat arrays. */
function valueAndGrads(f: (...xs: tf.Tensor[]) => tf.Tensor, xs: tf.Tensor[], r: tf.Tensor): { y: Float32Array; grads: Float32Array[] } {
  return tf.tidy(() => {
    const y = f(...xs).dataSync() as Float32Array;
    const grads = tf
      .grads((...a: tf.Tensor[]) => tf.sum(tf.mul(f(...a), r)))(xs)
      .map((g) => g.dataSync() as Float32Array);
    return { y, grads };
  });
}

function check(got: { y: Float32Array; grads: Float32Array[] }, y: unknown, grads: [string, unknown][]) {
  assertClose(got.y, D(y), 'value');
  grads.forEach(([name, e], i) => assertClose(got.grads[i], D(e), name, gradTol(D(e))));
}

/** The pre-signed sin table: first half of every row negated (see applyRope). */
function signedSin(sin: Float32Array, hs: number): Float32Array {
  const out = sin.slice();
  for (let i = 0; i < out.length; i++) if (i % hs < hs / 2) out[i] = -out[i];
  return out;
}

for (const backend of TEST_BACKENDS) {
  test(`rmsNorm and layerNorm match PyTorch on ${backend}`, async () => {
    await useBackend(backend);
    const c = comp.rmsnorm;
    const eps = c.eps as unknown as number;
    check(
      valueAndGrads((x, w) => rmsNorm(x, w as tf.Tensor1D, eps), [T(c.x), T(c.weight)], T(c.r)),
      c.y,
      [
        ['dx', c.dx],
        ['dweight', c.dweight],
      ],
    );
    const l = comp.layernorm;
    check(
      valueAndGrads((x, w, b) => layerNorm(x, w as tf.Tensor1D, b as tf.Tensor1D, eps), [T(l.x), T(l.weight), T(l.bias)], T(l.r)),
      l.y,
      [
        ['dx', l.dx],
        ['dweight', l.dweight],
        ['dbias', l.dbias],
      ],
    );
  });

  test(`RoPE (reference and fast form) matches PyTorch on ${backend}`, async () => {
    await useBackend(backend);
    const c = comp.rope;
    const x = T(c.x); // [B, nH, T, hs] = [2, 2, 12, 8]
    const [, , len, hs] = x.shape;
    const { cos, sin } = ropeTables(len, hs, c.theta as unknown as number);
    const cosT = tf.tensor2d(cos, [len, hs]);
    const sinT = tf.tensor2d(sin, [len, hs]);
    check(
      valueAndGrads((t) => rope(t, cosT, sinT), [x], T(c.r)),
      c.y,
      [['dx', c.dx]],
    );
    const sinS = tf.tensor2d(signedSin(sin, hs), [len, hs]);
    const swap = halfSwapMatrix(hs);
    check(
      valueAndGrads((t) => applyRope(t, cosT, sinS, swap), [x], T(c.r)),
      c.y,
      [['dx', c.dx]],
    );
  });

  test(`causal self-attention matches PyTorch on ${backend}`, async () => {
    await useBackend(backend);
    const c = comp.attention;
    const x = T(c.x) as tf.Tensor3D; // [2, 8, 16]
    const nHeads = c.nHeads as unknown as number;
    const tables = new AttentionTables(x.shape[1], x.shape[2] / nHeads, c.theta as unknown as number);
    const heads = { nHeads, nKvHeads: nHeads, headDim: x.shape[2] / nHeads };
    const f = (xi: tf.Tensor, wq: tf.Tensor, wk: tf.Tensor, wv: tf.Tensor, wo: tf.Tensor) =>
      causalSelfAttention(xi as tf.Tensor3D, { wq, wk, wv, wo } as never, heads, tables.forLength(x.shape[1]));
    check(valueAndGrads(f, [x, T(c.wq), T(c.wk), T(c.wv), T(c.wo)], T(c.r)), c.y, [
      ['dx', c.dx],
      ['dwq', c.dwq],
      ['dwk', c.dwk],
      ['dwv', c.dwv],
      ['dwo', c.dwo],
    ]);
    // A shorter sequence sees the first rows of the same tables: its output is the prefix.
    const short = tf.tidy(() =>
      causalSelfAttention(
        tf.slice(x, [0, 0, 0], [-1, 5, -1]) as tf.Tensor3D,
        { wq: T(c.wq), wk: T(c.wk), wv: T(c.wv), wo: T(c.wo) } as never,
        heads,
        tables.forLength(5),
      ).dataSync(),
    );
    assertClose(short, tf.slice(tf.tensor(D(c.y), x.shape), [0, 0, 0], [-1, 5, -1]).dataSync(), 'prefix');
    tables.dispose();
  });

  test(`GELU (tanh) and SwiGLU match PyTorch on ${backend}`, async () => {
    await useBackend(backend);
    const g = comp.gelu;
    check(
      valueAndGrads((x) => geluTanh(x), [T(g.x)], T(g.r)),
      g.y,
      [['dx', g.dx]],
    );
    const s = comp.swiglu;
    check(
      valueAndGrads((a, b) => swiglu(a, b), [T(s.gate), T(s.up)], T(s.r)),
      s.y,
      [
        ['dgate', s.dgate],
        ['dup', s.dup],
      ],
    );
  });

  test(`hand-written gradients equal autodiff of the textbook formulas on ${backend}`, async () => {
    await useBackend(backend);
    const rng = new Rng(3);
    const randn = (shape: number[], std = 1, mean = 0) =>
      tf.add(
        tf.tensor(
          normalArray(
            rng,
            shape.reduce((a, b) => a * b, 1),
            std,
          ),
          shape,
        ),
        mean,
      );
    tf.tidy(() => {
      const x = randn([3, 5, 12], 2, 0.3);
      const w = randn([12], 0.3, 1) as tf.Tensor1D;
      const b = randn([12], 0.3) as tf.Tensor1D;
      const r = randn([3, 5, 12]);
      const eps = 1e-5;
      const refLayer = (xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) => {
        const xc = tf.sub(xi, tf.mean(xi, -1, true));
        return tf.add(tf.mul(tf.div(xc, tf.sqrt(tf.add(tf.mean(tf.square(xc), -1, true), eps))), wi), bi);
      };
      const refRms = (xi: tf.Tensor, wi: tf.Tensor) => tf.mul(tf.div(xi, tf.sqrt(tf.add(tf.mean(tf.square(xi), -1, true), eps))), wi);
      const refGelu = (xi: tf.Tensor) =>
        tf.mul(tf.mul(xi, 0.5), tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(xi, tf.mul(0.044715, tf.pow(xi, 3)))))));
      const refSwiglu = (a: tf.Tensor, u: tf.Tensor) => tf.mul(tf.mul(a, tf.sigmoid(a)), u);
      const pairs: [string, (...a: tf.Tensor[]) => tf.Tensor, (...a: tf.Tensor[]) => tf.Tensor, tf.Tensor[]][] = [
        ['layerNorm', (xi, wi, bi) => layerNorm(xi, wi as tf.Tensor1D, bi as tf.Tensor1D, eps), refLayer, [x, w, b]],
        ['rmsNorm', (xi, wi) => rmsNorm(xi, wi as tf.Tensor1D, eps), refRms, [x, w]],
        ['geluTanh', (xi) => geluTanh(xi), refGelu, [x]],
        ['swiglu', (a, u) => swiglu(a, u), refSwiglu, [x, r]],
      ];
      for (const [name, ours, ref, xs] of pairs) {
        const a = valueAndGrads(ours, xs, r);
        const e = valueAndGrads(ref, xs, r);
        assertClose(a.y, e.y, `${name} value`, { rtol: 1e-5, atol: 1e-5 });
        a.grads.forEach((g, i) => assertClose(g, e.grads[i], `${name} grad ${i}`, { rtol: 1e-4, atol: 1e-5 }));
      }
      // The fast RoPE equals the rotate_half form for any input, including its gradient.
      const q = randn([2, 7, 3, 6]);
      const { cos, sin } = ropeTables(7, 6, 10000);
      const cosT = tf.tensor3d(cos, [7, 1, 6]);
      const sinT = tf.tensor3d(sin, [7, 1, 6]);
      const sinS = tf.tensor3d(signedSin(sin, 6), [7, 1, 6]);
      const rq = randn([2, 7, 3, 6]);
      const fast = valueAndGrads((t) => applyRope(t, cosT, sinS, halfSwapMatrix(6)), [q], rq);
      const slow = valueAndGrads((t) => tf.add(tf.mul(t, cosT), tf.mul(rotateHalf(t), sinT)), [q], rq);
      assertClose(fast.y, slow.y, 'applyRope value');
      assertClose(fast.grads[0], slow.grads[0], 'applyRope grad');
    });
  });
}

test('ropeTables follow inv_freq = theta^(-2j/hs), duplicated over both halves', () => {
  const { cos, sin } = ropeTables(3, 4, 100);
  // pos 2, j = 1: angle = 2 * 100^(-1/2) = 0.2, stored at channels 1 and 3
  assert.ok(Math.abs(cos[2 * 4 + 1] - Math.cos(0.2)) < 1e-7 && cos[2 * 4 + 3] === cos[2 * 4 + 1]);
  assert.ok(Math.abs(sin[2 * 4 + 0] - Math.sin(2)) < 1e-7 && sin[2 * 4 + 2] === sin[2 * 4 + 0]);
  assert.deepEqual([...cos.slice(0, 4)], [1, 1, 1, 1]);
});

test('AttentionTables: cached tensors are kept through tidy and freed by dispose', async () => {
  await useBackend('cpu');
  const before = tf.memory().numTensors;
  let made: AttentionTables | undefined;
  tf.tidy(() => {
    made = new AttentionTables(6, 4, 10000); // built inside a tidy, as a step might
  });
  const tables = made!;
  assert.equal(tf.memory().numTensors, before + 6);
  const full = tables.forLength(6);
  assert.deepEqual(full.mask.shape, [6, 6]);
  assert.deepEqual(
    tf.tidy(() => tables.forLength(3).mask.arraySync()),
    [
      [0, -1e9, -1e9],
      [0, 0, -1e9],
      [0, 0, 0],
    ],
  );
  assert.throws(() => tables.forLength(7), /outside \[1, 6\]/);
  tables.dispose();
  assert.equal(tf.memory().numTensors, before);
});
