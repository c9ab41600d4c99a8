// The architecture variants against PyTorch (fixtures/make_variants.py): GQA, MQA, QK-norm, a free
// head width and attention without RoPE, the squared-ReLU FFN, and whole models with learned or no
// positions, post-norm or no block norms, fixed norms, no final norm and an untied head; values and
// every gradient on cpu and wasm. Plus the parameter lists each variant builds, and that a default
// config spelled out in full is today's model to the bit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../node/backend';
import { assertClose, checkModelCase, decode, gradTol, type ModelCase, type StoredTensor, TEST_BACKENDS, toTensor } from './fixtures/reference';
import { AttentionTables, causalSelfAttention, ffn, Gpt, type GptConfig, gptParamSpecs } from './gpt';

interface AttentionCase {
  nHeads: number;
  nKvHeads: number;
  headDim: number;
  theta: number | null;
  x: StoredTensor;
  r: StoredTensor;
  y: StoredTensor;
  weights: Record<string, StoredTensor>;
  dx: StoredTensor;
  dweights: Record<string, StoredTensor>;
}

const fixtures = JSON.parse(readFileSync(new URL('./fixtures/variant_fixtures.json', import.meta.url), 'utf8')) as {
  components: Record<'gqa' | 'mqa' | 'qk_norm' | 'head_dim' | 'no_rope', AttentionCase> & { relu2: Record<string, StoredTensor> };
  models: ModelCase[];
};

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

const WEIGHT_KEYS = { wq: 'wq', wk: 'wk', wv: 'wv', wo: 'wo', q_norm: 'qNorm', k_norm: 'kNorm' } as const;

function checkAttention(name: string, c: AttentionCase): void {
  const x = toTensor(c.x) as tf.Tensor3D;
  const T = x.shape[1];
  const tables = new AttentionTables(T, c.headDim, c.theta);
  const names = Object.keys(c.weights) as (keyof typeof WEIGHT_KEYS)[];
  const heads = { nHeads: c.nHeads, nKvHeads: c.nKvHeads, headDim: c.headDim };
  const f = (xi: tf.Tensor, ...ws: tf.Tensor[]) => {
    const w = Object.fromEntries(names.map((n, i) => [WEIGHT_KEYS[n], ws[i]]));
    return causalSelfAttention(xi as tf.Tensor3D, w as never, heads, tables.forLength(T));
  };
  const got = valueAndGrads(f, [x, ...names.map((n) => toTensor(c.weights[n]))], toTensor(c.r));
  assertClose(got.y, decode(c.y), `${name} value`, gradTol(decode(c.y)));
  assertClose(got.grads[0], decode(c.dx), `${name} dx`, gradTol(decode(c.dx)));
  names.forEach((n, i) => assertClose(got.grads[i + 1], decode(c.dweights[n]), `${name} d${n}`, gradTol(decode(c.dweights[n]))));
  tables.dispose();
}

for (const backend of TEST_BACKENDS) {
  test(`attention variants (GQA, MQA, QK-norm, head_dim, no RoPE) match PyTorch on ${backend}`, async () => {
    await useBackend(backend);
    for (const name of ['gqa', 'mqa', 'qk_norm', 'head_dim', 'no_rope'] as const) checkAttention(name, fixtures.components[name]);
  });

  test(`relu² FFN matches PyTorch on ${backend}`, async () => {
    await useBackend(backend);
    const c = fixtures.components.relu2;
    const f = (x: tf.Tensor, w1: tf.Tensor, w2: tf.Tensor) => ffn(x as tf.Tensor3D, { w1, w2 } as never, 'relu2');
    const got = valueAndGrads(f, [toTensor(c.x), toTensor(c.w1), toTensor(c.w2)], toTensor(c.r));
    assertClose(got.y, decode(c.y), 'value', gradTol(decode(c.y)));
    (['dx', 'dw1', 'dw2'] as const).forEach((k, i) => assertClose(got.grads[i], decode(c[k]), k, gradTol(decode(c[k]))));
  });

  for (const c of fixtures.models) {
    test(`${c.name} on ${backend}: logits, loss and every gradient match PyTorch, also for T < contextLength`, async () => {
      await useBackend(backend);
      checkModelCase(c);
    });
  }
}

const BASE: GptConfig = {
  vocabSize: 40,
  contextLength: 12,
  dModel: 24,
  nLayers: 2,
  nHeads: 4,
  dFF: 48,
  ropeTheta: 10000,
  norm: 'layernorm',
  ffn: 'swiglu',
  tieEmbeddings: false,
};

const shapes = (c: GptConfig) => Object.fromEntries(gptParamSpecs(c).map((s) => [s.name, s.shape]));

test('each variant adds or drops exactly its parameters, with the documented shapes', () => {
  const base = shapes(BASE);
  assert.deepEqual(shapes({ ...BASE, nKvHeads: 2 })['blocks.1.attn.wk'], [24, 12]); // GQA: [C, nKv·hs]
  assert.deepEqual(shapes({ ...BASE, nKvHeads: 1 })['blocks.0.attn.wv'], [24, 6]); // MQA
  const wide = shapes({ ...BASE, headDim: 8, nKvHeads: 2 });
  assert.deepEqual(
    [wide['blocks.0.attn.wq'], wide['blocks.0.attn.wk'], wide['blocks.0.attn.wo']],
    [
      [24, 32],
      [24, 16],
      [32, 24],
    ],
  );
  const learned = gptParamSpecs({ ...BASE, positions: 'learned' });
  assert.deepEqual([learned[1].name, learned[1].shape, learned[1].init], ['wpe', [12, 24], 'normal']); // right after wte
  assert.deepEqual(shapes({ ...BASE, positions: 'none' }), base);
  const qk = gptParamSpecs({ ...BASE, qkNorm: true }).map((s) => s.name);
  assert.deepEqual(qk.slice(3, 9), [
    'blocks.0.attn.wq',
    'blocks.0.attn.wk',
    'blocks.0.attn.wv',
    'blocks.0.attn.wo',
    'blocks.0.attn.q_norm.weight',
    'blocks.0.attn.k_norm.weight',
  ]);
  const relu2 = shapes({ ...BASE, ffn: 'relu2' });
  assert.ok(!('blocks.0.ffn.w3' in relu2) && 'blocks.0.ffn.w1' in relu2);
  assert.deepEqual(
    Object.keys(shapes({ ...BASE, normPlacement: 'none' })).filter((n) => n.includes('norm')),
    ['norm_f.weight', 'norm_f.bias'],
  );
  assert.deepEqual(
    Object.keys(shapes({ ...BASE, normLearnable: false })).filter((n) => n.includes('norm')),
    [],
  );
  assert.deepEqual(
    Object.keys(shapes({ ...BASE, finalNorm: false })).filter((n) => n.startsWith('norm_f')),
    [],
  );
  assert.deepEqual(Object.keys(shapes({ ...BASE, normPlacement: 'post' })), Object.keys(base));
});

test('a default config spelled out in full builds the same parameters, drawn the same, as the short one', async () => {
  await useBackend('cpu');
  const full: GptConfig = {
    ...BASE,
    positions: 'rope',
    nKvHeads: 4,
    headDim: 6,
    qkNorm: false,
    normPlacement: 'pre',
    normLearnable: true,
    finalNorm: true,
  };
  const a = new Gpt(BASE, 9);
  const b = new Gpt(full, 9);
  assert.deepEqual([...a.params.keys()], [...b.params.keys()]);
  for (const [name, v] of a.params) assert.deepEqual(b.params.get(name)!.dataSync(), v.dataSync(), name);
  const x = tf.tensor2d([[1, 2, 3, 4]], [1, 4], 'int32');
  assert.deepEqual(
    tf.tidy(() => b.forward(x).dataSync()),
    tf.tidy(() => a.forward(x).dataSync()),
  );
  tf.dispose([x]);
  a.dispose();
  b.dispose();
});

test('a variant model trains without leaking tensors and frees its constants on dispose', async () => {
  await useBackend('cpu');
  const before = tf.memory().numTensors;
  const model = new Gpt({ ...BASE, nKvHeads: 2, qkNorm: true, positions: 'none', normLearnable: false, ffn: 'relu2' }, 3);
  const x = tf.tensor2d([[1, 2, 3, 4, 5, 6]], [1, 6], 'int32');
  const y = tf.tensor2d([[2, 3, 4, 5, 6, 7]], [1, 6], 'int32');
  const vars = [...model.params.values()];
  const step = () =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(
        () => tf.losses.softmaxCrossEntropy(tf.oneHot(tf.reshape(y, [-1]), 40), tf.reshape(model.forward(x), [-1, 40])),
        vars,
      );
      for (const v of vars) v.assign(tf.sub(v, tf.mul(grads[v.name], 0.5)));
      return value.dataSync()[0];
    });
  const first = step();
  const count = tf.memory().numTensors;
  const last = [step(), step(), step()].at(-1)!;
  assert.equal(tf.memory().numTensors, count);
  assert.ok(last < first, `SGD lowers the loss: ${first} -> ${last}`);
  model.dispose();
  tf.dispose([x, y]);
  assert.equal(tf.memory().numTensors, before);
});

test('invalid variant configs are refused naming the field', () => {
  assert.throws(() => new Gpt({ ...BASE, nKvHeads: 3 }, 1), /nKvHeads: nHeads \(4\) must be divisible by nKvHeads \(3\)/);
  assert.throws(() => new Gpt({ ...BASE, headDim: 5 }, 1), /headDim: headDim = 5 must be even/);
  assert.throws(() => new Gpt({ ...BASE, positions: 'alibi' as never }, 1), /positions: positions must be one of rope, learned, none/);
  const odd = new Gpt({ ...BASE, headDim: 5, positions: 'learned' }, 1); // without RoPE an odd head is fine
  assert.deepEqual(odd.params.get('blocks.0.attn.wq')!.shape, [24, 20]);
  odd.dispose();
});
