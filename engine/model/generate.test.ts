// generate / sampleFromLogits: deterministic for an Rng seed, greedy when topK = 1, top-k and
// temperature honoured, context cropped to the model's window.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../random';
import { useBackend } from '../node/backend';
import { generate, generateAsync, sampleFromLogits } from './generate';
import { Gpt, type GptConfig } from './gpt';

const CONFIG: GptConfig = {
  vocabSize: 20,
  contextLength: 6,
  dModel: 16,
  nLayers: 2,
  nHeads: 2,
  dFF: 32,
  ropeTheta: 10000,
  norm: 'rmsnorm',
  ffn: 'swiglu',
  tieEmbeddings: false,
};

/** A model with larger weights than the 0.02 init, so its predictions are far from uniform. */
function sharpModel(config: GptConfig = CONFIG): Gpt {
  const model = new Gpt(config, 11);
  tf.tidy(() => {
    for (const [name, v] of model.params) if (v.rank === 2) v.assign(tf.mul(v, name === 'wte' ? 60 : 15));
  });
  return model;
}

/** Greedy decoding the slow way: full forward, argmax of the last position. */
function greedyReference(model: Gpt, prompt: number[], n: number): number[] {
  const tokens = prompt.slice();
  for (let i = 0; i < n; i++) {
    const ctx = tokens.slice(-model.config.contextLength);
    const next = tf.tidy(() => {
      const logits = model.forward(tf.tensor2d([ctx], [1, ctx.length], 'int32'));
      return tf.argMax(tf.reshape(tf.slice(logits, [0, ctx.length - 1, 0], [1, 1, -1]), [-1])).dataSync()[0];
    });
    tokens.push(next);
  }
  return tokens.slice(prompt.length);
}

const VARIANTS: [string, Partial<GptConfig>][] = [
  ['GQA + QK-norm', { nKvHeads: 1, qkNorm: true }],
  ['learned positions + post-norm', { positions: 'learned', normPlacement: 'post', norm: 'layernorm' }],
  ['no positions + no norms + relu²', { positions: 'none', normPlacement: 'none', finalNorm: false, ffn: 'relu2', headDim: 5 }],
  ['fixed norms + head_dim', { normLearnable: false, headDim: 4, tieEmbeddings: true }],
];

test('generate works for every architecture variant, past the context window, as the full forward does', async () => {
  await useBackend('cpu');
  for (const [name, variant] of VARIANTS) {
    const model = sharpModel({ ...CONFIG, ...variant });
    const prompt = [3, 1, 4, 1, 5, 9, 2, 6]; // longer than contextLength (learned positions have only 6 rows)
    const expected = greedyReference(model, prompt, 6);
    assert.deepEqual(generate(model, prompt, 6, { temperature: 0, topK: 0, rng: new Rng(1) }), expected, name);
    const opts = () => ({ temperature: 1, topK: 5, rng: new Rng(4) });
    assert.deepEqual(await generateAsync(model, prompt, 6, opts()), generate(model, prompt, 6, opts()), name);
    model.dispose();
  }
});

for (const backend of ['cpu', 'wasm'] as const) {
  test(`generate on ${backend}: topK = 1 and temperature 0 are greedy argmax, past the context window`, async () => {
    await useBackend(backend);
    const model = sharpModel();
    const prompt = [3, 1, 4, 1, 5, 9, 2, 6]; // longer than contextLength: cropped to the last 6
    const expected = greedyReference(model, prompt, 8);
    const rng = new Rng(1);
    const state = rng.getState();
    assert.deepEqual(generate(model, prompt, 8, { temperature: 1, topK: 1, rng }), expected);
    assert.deepEqual(generate(model, prompt, 8, { temperature: 0, topK: 0, rng }), expected);
    assert.deepEqual(rng.getState(), state, 'greedy decoding draws no random numbers');
    assert.ok(new Set(expected).size > 1, `the sharp model should not repeat one token: ${expected}`);
    model.dispose();
  });

  test(`generate on ${backend}: the same seed gives the same tokens, one uniform draw per token`, async () => {
    await useBackend(backend);
    const model = sharpModel();
    const count = tf.memory().numTensors;
    const opts = (seed: number) => ({ temperature: 1.5, topK: 0, rng: new Rng(seed) });
    const a = generate(model, [7], 12, opts(5));
    const b = generate(model, [7], 12, opts(5));
    const c = generate(model, [7], 12, opts(6));
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    assert.equal(a.length, 12);
    assert.ok(a.every((t) => Number.isInteger(t) && t >= 0 && t < CONFIG.vocabSize));
    const rng = new Rng(5);
    generate(model, [7], 12, { temperature: 1.5, topK: 0, rng });
    const manual = new Rng(5);
    for (let i = 0; i < 12; i++) manual.uniform();
    assert.deepEqual(rng.getState(), manual.getState());
    assert.equal(tf.memory().numTensors, count, 'no tensors left behind');
    model.dispose();
  });
}

test('sampleFromLogits: top-k limits the support and the frequencies follow softmax / temperature', () => {
  const logits = [0, 2, 1.5, -1, 1.9];
  const rng = new Rng(9);
  const counts = new Array(5).fill(0);
  const draws = 20000;
  for (let i = 0; i < draws; i++) counts[sampleFromLogits(logits, { temperature: 0.5, topK: 3, rng })]++;
  assert.equal(counts[0] + counts[3], 0, `only the top 3 tokens (1, 4, 2) may appear: ${counts}`);
  const w = [2, 1.5, 1.9].map((v) => Math.exp(v / 0.5));
  const z = w.reduce((s, v) => s + v, 0);
  [1, 2, 4].forEach((tok, i) => {
    const p = w[i] / z;
    assert.ok(Math.abs(counts[tok] / draws - p) < 0.015, `token ${tok}: ${counts[tok] / draws} vs ${p}`);
  });
  // A tiny temperature concentrates on the argmax; ties at the k-th value are kept.
  assert.equal(sampleFromLogits(logits, { temperature: 1e-3, topK: 0, rng }), 1);
  const tied = [1, 3, 3, 0];
  const seen = new Set<number>();
  for (let i = 0; i < 200; i++) seen.add(sampleFromLogits(tied, { temperature: 1, topK: 1, rng }));
  assert.deepEqual([...seen], [1], 'topK = 1 is argmax (first of equal maxima)');
  for (let i = 0; i < 200; i++) seen.add(sampleFromLogits(tied, { temperature: 1, topK: 2, rng }));
  assert.deepEqual([...seen].sort(), [1, 2]);
});

test('generate rejects an empty prompt and out-of-vocabulary tokens', async () => {
  await useBackend('cpu');
  const model = new Gpt(CONFIG, 1);
  const opts = { temperature: 1, topK: 0, rng: new Rng(1) };
  assert.throws(() => generate(model, [], 3, opts), /at least one token/);
  assert.throws(() => generate(model, [3, 20], 3, opts), /token 20 outside \[0, 20\)/);
  assert.deepEqual(generate(model, [3], 0, opts), []);
  model.dispose();
});

test('generateAsync draws exactly the tokens generate draws (same Rng stream), and leaks nothing', async () => {
  await useBackend('cpu');
  const model = sharpModel();
  const before = tf.memory().numTensors;
  const opts = () => ({ temperature: 0.9, topK: 5, rng: new Rng(4) });
  const sync = generate(model, [1, 2], 9, opts());
  assert.deepEqual(await generateAsync(model, [1, 2], 9, opts()), sync);
  assert.equal(tf.memory().numTensors, before);
  await assert.rejects(generateAsync(model, [], 3, opts()), /at least one token/);
  model.dispose();
});
