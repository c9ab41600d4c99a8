// The full GPT against an independent PyTorch implementation (fixtures/make_model_fixtures.py):
// logits, loss and the gradient of the loss w.r.t. every parameter, on the cpu and wasm backends;
// plus init, weight loading, input checks and tensor hygiene.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../node/backend';
import { checkModelCase, ids, loadCase, type ModelCase, TEST_BACKENDS } from './fixtures/reference';
import { crossEntropy, Gpt, type GptConfig, gptParamSpecs } from './gpt';

const fixtures = JSON.parse(readFileSync(new URL('./fixtures/model_fixtures.json', import.meta.url), 'utf8')) as {
  models: ModelCase[];
};

for (const backend of TEST_BACKENDS) {
  for (const c of fixtures.models) {
    test(`${c.name} on ${backend}: logits, loss and every gradient match PyTorch, also for T < contextLength`, async () => {
      await useBackend(backend);
      checkModelCase(c);
    });
  }

  test(`training steps on ${backend} keep the tensor count constant`, async () => {
    await useBackend(backend);
    const c = fixtures.models[1];
    const model = loadCase(c);
    const x = ids(c.x);
    const y = ids(c.y);
    const vars = [...model.params.values()];
    const step = () =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => crossEntropy(model.forward(x), y), vars);
        for (const v of vars) v.assign(tf.sub(v, tf.mul(grads[v.name], 0.1)));
        return value.dataSync()[0];
      });
    const first = step();
    const count = tf.memory().numTensors;
    const losses = [step(), step(), step()];
    assert.equal(tf.memory().numTensors, count);
    assert.ok(losses[2] < first, `SGD should lower the loss on a fixed batch: ${first} -> ${losses}`);
    tf.dispose([x, y]);
    model.dispose();
    // Disposing frees the ids, the parameters and the 6 cached attention tensors (RoPE, mask, swap).
    assert.equal(tf.memory().numTensors, count - 2 - vars.length - 6);
  });
}

const CONFIG: GptConfig = {
  vocabSize: 40,
  contextLength: 12,
  dModel: 24,
  nLayers: 3,
  nHeads: 3,
  dFF: 48,
  ropeTheta: 10000,
  norm: 'rmsnorm',
  ffn: 'swiglu',
  tieEmbeddings: false,
};

test('init: canonical order, shapes, scaled std, identical on cpu and wasm', async () => {
  const values: Record<string, Float32Array[]> = {};
  for (const backend of TEST_BACKENDS) {
    await useBackend(backend);
    const model = new Gpt(CONFIG, 42);
    assert.deepEqual(
      [...model.params.keys()],
      gptParamSpecs(CONFIG).map((s) => s.name),
    );
    for (const [name, v] of model.params) (values[name] ??= []).push(v.dataSync() as Float32Array);
    assert.deepEqual(model.params.get('blocks.0.ffn.w3')!.shape, [24, 48]);
    assert.deepEqual(model.params.get('lm_head')!.shape, [24, 40]);
    // wte + 3 * (2 norms + 4 attn + 3 ffn) + norm_f + lm_head
    assert.equal(model.params.size, 1 + 3 * 9 + 1 + 1);
    assert.equal(model.parameterCount(), 40 * 24 + 3 * (2 * 24 + 4 * 24 * 24 + 3 * 24 * 48) + 24 + 24 * 40);
    model.dispose();
  }
  for (const [name, [a, b]] of Object.entries(values)) assert.deepEqual(a, b, `${name} differs between backends`);
  const std = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
  assert.ok(Math.abs(std(values['wte'][0]) - 0.02) < 0.002);
  assert.ok(Math.abs(std(values['blocks.0.ffn.w1'][0]) - 0.02) < 0.002);
  const residual = 0.02 / Math.sqrt(2 * 3);
  assert.ok(Math.abs(std(values['blocks.1.attn.wo'][0]) - residual) < 0.1 * residual);
  assert.ok(Math.abs(std(values['blocks.2.ffn.w2'][0]) - residual) < 0.1 * residual);
  assert.ok(values['norm_f.weight'][0].every((v) => v === 1));
  // A different seed gives different weights; the same seed the same ones.
  await useBackend('cpu');
  const again = new Gpt(CONFIG, 42);
  const other = new Gpt(CONFIG, 43);
  assert.deepEqual(again.params.get('wte')!.dataSync(), values['wte'][0]);
  assert.notDeepEqual(other.params.get('wte')!.dataSync(), values['wte'][0]);
  again.dispose();
  other.dispose();
});

test('layernorm models have biases, tied models no lm_head', async () => {
  await useBackend('cpu');
  const model = new Gpt({ ...CONFIG, norm: 'layernorm', ffn: 'gelu', tieEmbeddings: true }, 1);
  const names = [...model.params.keys()];
  assert.ok(names.includes('blocks.0.norm1.bias') && names.includes('norm_f.bias'));
  assert.ok(!names.includes('lm_head') && !names.includes('blocks.0.ffn.w3'));
  assert.ok(
    model.params
      .get('norm_f.bias')!
      .dataSync()
      .every((v) => v === 0),
  );
  const logits = model.forward(tf.tensor2d([[1, 2, 3]], [1, 3], 'int32'));
  assert.deepEqual(logits.shape, [1, 3, 40]);
  logits.dispose();
  model.dispose();
});

test('loadWeights names a missing parameter or a shape mismatch and changes nothing', async () => {
  await useBackend('cpu');
  const model = new Gpt(CONFIG, 1);
  const before = model.params.get('wte')!.dataSync().slice();
  const good = () => new Map([...model.params].map(([k, v]) => [k, tf.zerosLike(v) as tf.Tensor]));
  const missing = good();
  missing.delete('blocks.1.attn.wv');
  assert.throws(() => model.loadWeights(missing), /missing parameter blocks\.1\.attn\.wv/);
  const wrong = good();
  wrong.set('blocks.0.ffn.w1', tf.zeros([48, 24]));
  assert.throws(() => model.loadWeights(wrong), /shape mismatch for blocks\.0\.ffn\.w1: expected \[24,48\], got \[48,24\]/);
  const extra = good();
  extra.set('pos_emb', tf.zeros([12, 24]));
  assert.throws(() => model.loadWeights(extra), /unexpected parameter pos_emb/);
  assert.deepEqual(model.params.get('wte')!.dataSync(), before);
  const ok = good();
  model.loadWeights(ok);
  tf.dispose([...ok.values(), ...missing.values(), ...wrong.values(), ...extra.values()]);
  assert.ok(
    model.params
      .get('wte')!
      .dataSync()
      .every((v) => v === 0),
    'loaded values survive disposing the inputs',
  );
  model.dispose();
});

test('forward rejects bad inputs and invalid configs', async () => {
  await useBackend('cpu');
  assert.throws(() => new Gpt({ ...CONFIG, nHeads: 5 }, 1), /dModel: dModel \(24\) must be divisible by nHeads \(5\)/);
  const model = new Gpt(CONFIG, 1);
  assert.throws(() => model.forward(tf.zeros([1, 13], 'int32') as tf.Tensor2D), /sequence length 13/);
  assert.throws(() => model.forward(tf.zeros([1, 4]) as tf.Tensor2D), /int32/);
  model.dispose();
});
