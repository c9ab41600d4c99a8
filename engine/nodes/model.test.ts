// The model node's variant params: defaults that leave older pipelines as they were, the mapping to
// GptConfig and back, and bad combinations reported on the param the user typed (snake_case).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { compile } from '../compiler/compile';
import { resolveGptConfig, type GptConfig } from '../model/config';
import { withModelVariant } from '../testing/model-variant';
import { gptConfig, model, modelNodeParams } from './model';

const smoke = JSON.parse(readFileSync(new URL('../../pipelines/smoke.json', import.meta.url), 'utf8'));

test('an existing model node parses to today\'s GPT: every variant at its default', () => {
  const c = gptConfig(model.params.parse({ d_model: 32, n_heads: 4 }));
  assert.deepEqual(
    [c.positions, c.nKvHeads, c.headDim, c.qkNorm, c.normPlacement, c.normLearnable, c.finalNorm],
    ['rope', undefined, undefined, false, 'pre', true, true],
  );
  const r = resolveGptConfig(c);
  assert.deepEqual([r.nKvHeads, r.headDim], [4, 8]);
});

test('modelNodeParams is the inverse of gptConfig', () => {
  const config: GptConfig = {
    vocabSize: 300, contextLength: 32, dModel: 48, nLayers: 3, nHeads: 6, dFF: 128, ropeTheta: 500, norm: 'layernorm', ffn: 'relu2',
    tieEmbeddings: false, positions: 'learned', nKvHeads: 2, headDim: 10, qkNorm: true, normPlacement: 'post', normLearnable: false, finalNorm: false,
  };
  assert.deepEqual(gptConfig(model.params.parse(modelNodeParams(config))), config);
});

test('a variant set through the pipeline compiles, and bad combinations name the param', () => {
  const ok = compile(withModelVariant(smoke, { nKvHeads: 1, positions: 'learned', ffn: 'relu2', qkNorm: true }));
  assert.ok(ok.ok, JSON.stringify(!ok.ok && ok.diagnostics));
  const node = ok.plan.nodes.find((n) => n.kind === 'model')!;
  assert.deepEqual([node.params.n_kv_heads, node.params.positions, node.params.ffn, node.params.qk_norm], [1, 'learned', 'relu2', true]);

  const heads = Number(node.params.n_heads);
  const bad = compile(withModelVariant(smoke, { nKvHeads: heads + 1 }));
  assert.ok(!bad.ok);
  const d = bad.diagnostics.find((x) => x.nodeId === node.id)!;
  assert.equal(d.field, 'n_kv_heads');
  assert.equal(d.message, `n_heads (${heads}) must be divisible by n_kv_heads (${heads + 1})`);

  const odd = compile(withModelVariant(smoke, { headDim: 5 }));
  assert.ok(!odd.ok);
  assert.deepEqual(odd.diagnostics.map((x) => [x.nodeId, x.field, x.message]), [[node.id, 'head_dim', 'head_dim = 5 must be even (RoPE rotates pairs of channels)']]);
  assert.ok(compile(withModelVariant(smoke, { headDim: 5, positions: 'none' })).ok, 'without RoPE an odd head width is fine');

  const unknown = compile(withModelVariant(smoke, { normPlacement: 'sandwich' as never }));
  assert.ok(!unknown.ok);
  assert.deepEqual(unknown.diagnostics.map((x) => [x.nodeId, x.field]), [[node.id, 'norm_placement']]);
});
