// validateGptConfig: one issue per broken field, with the field named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type GptConfig, validateGptConfig } from './config';

const OK: GptConfig = {
  vocabSize: 256,
  contextLength: 64,
  dModel: 128,
  nLayers: 2,
  nHeads: 4,
  dFF: 512,
  ropeTheta: 10000,
  norm: 'layernorm',
  ffn: 'gelu',
  tieEmbeddings: true,
};

const fields = (c: GptConfig) => validateGptConfig(c).map((i) => i.field);

test('a sound config has no issues', () => {
  assert.deepEqual(validateGptConfig(OK), []);
  assert.deepEqual(validateGptConfig({ ...OK, norm: 'rmsnorm', ffn: 'swiglu', tieEmbeddings: false, normEps: 1e-6 }), []);
});

test('sizes must be positive integers', () => {
  for (const field of ['vocabSize', 'contextLength', 'dModel', 'nLayers', 'nHeads', 'dFF'] as const) {
    for (const bad of [0, -3, 2.5, NaN]) assert.ok(fields({ ...OK, [field]: bad }).includes(field), `${field} = ${bad}`);
  }
});

test('heads must divide dModel into even head sizes (RoPE)', () => {
  const notDivisible = validateGptConfig({ ...OK, dModel: 130 });
  assert.deepEqual(notDivisible, [{ field: 'dModel', message: 'dModel (130) must be divisible by nHeads (4)' }]);
  const odd = validateGptConfig({ ...OK, dModel: 12, nHeads: 4 }); // head size 3
  assert.equal(odd.length, 1);
  assert.equal(odd[0].field, 'nHeads');
  assert.match(odd[0].message, /head size dModel\/nHeads = 3 must be even/);
});

test('theta, eps and the enums are checked', () => {
  assert.deepEqual(fields({ ...OK, ropeTheta: 0 }), ['ropeTheta']);
  assert.deepEqual(fields({ ...OK, ropeTheta: Infinity }), ['ropeTheta']);
  assert.deepEqual(fields({ ...OK, normEps: 0 }), ['normEps']);
  assert.deepEqual(fields({ ...OK, norm: 'batchnorm' as never }), ['norm']);
  assert.deepEqual(fields({ ...OK, ffn: 'relu' as never }), ['ffn']);
  assert.deepEqual(fields({ ...OK, tieEmbeddings: 'yes' as never }), ['tieEmbeddings']);
  assert.deepEqual(fields({ ...OK, nHeads: 0, ffn: 'relu' as never }), ['nHeads', 'ffn']);
});
