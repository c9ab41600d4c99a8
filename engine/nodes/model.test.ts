// The model node's variants: format-2 flat params (older pipelines) read as today's GPT, the flat
// names map to GptConfig and back through the migrated subgraph, and bad combinations are reported
// on the inner node and param that hold them.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { compile } from '../compiler/compile';
import { resolveGptConfig, type GptConfig } from '../model/config';
import { withModelVariant } from '../testing/model-variant';
import { migrateFlatModelParams } from '../model-graph/default-graph';
import { gptConfig, modelConfigOf, modelNodeParams } from './model';

const smoke = JSON.parse(readFileSync(new URL('../../pipelines/smoke.json', import.meta.url), 'utf8'));

test("an existing model node parses to today's GPT: every variant at its default", () => {
  const r = resolveGptConfig(gptConfig(migrateFlatModelParams({ d_model: 32, n_heads: 4 })));
  assert.deepEqual([r.positions, r.nKvHeads, r.headDim, r.qkNorm, r.normPlacement, r.normLearnable, r.finalNorm], ['rope', 4, 8, false, 'pre', true, true]);
});

test('modelNodeParams is the inverse of gptConfig', () => {
  const config: GptConfig = {
    vocabSize: 300,
    contextLength: 32,
    dModel: 48,
    nLayers: 3,
    nHeads: 6,
    dFF: 128,
    ropeTheta: 10000,
    norm: 'layernorm',
    ffn: 'relu2', // theta: unused with learned positions
    tieEmbeddings: false,
    positions: 'learned',
    nKvHeads: 2,
    headDim: 10,
    qkNorm: true,
    normPlacement: 'post',
    normLearnable: false,
    finalNorm: false,
  };
  assert.deepEqual(resolveGptConfig(gptConfig(migrateFlatModelParams(modelNodeParams(config)))), resolveGptConfig(config));
});

test('a variant set through the pipeline compiles, and bad combinations name the param', () => {
  const ok = compile(withModelVariant(smoke, { nKvHeads: 1, positions: 'learned', ffn: 'relu2', qkNorm: true }));
  assert.ok(ok.ok, JSON.stringify(!ok.ok && ok.diagnostics));
  const node = ok.plan.nodes.find((n) => n.kind === 'model')!;
  const c = modelConfigOf(node).config!;
  assert.deepEqual([c.nKvHeads, c.positions, c.ffn, c.qkNorm], [1, 'learned', 'relu2', true]);

  const heads = c.nHeads;
  const bad = compile(withModelVariant(smoke, { nKvHeads: heads + 1 }));
  assert.ok(!bad.ok);
  const d = bad.diagnostics.find((x) => x.nodeId === node.id)!;
  assert.equal(d.field, 'attn.n_kv_heads');
  assert.equal(d.message, `n_heads (${heads}) must be divisible by n_kv_heads (${heads + 1})`);

  const odd = compile(withModelVariant(smoke, { headDim: 5 }));
  assert.ok(!odd.ok);
  assert.deepEqual(
    odd.diagnostics.map((x) => [x.nodeId, x.field, x.message]),
    [[node.id, 'attn.head_dim', 'head_dim = 5 must be even (RoPE rotates pairs of channels)']],
  );
  assert.ok(compile(withModelVariant(smoke, { headDim: 5, positions: 'none' })).ok, 'without RoPE an odd head width is fine');

  const unknown = compile(withModelVariant(smoke, { normPlacement: 'sandwich' as never }));
  assert.ok(!unknown.ok);
  assert.deepEqual(
    unknown.diagnostics.map((x) => [x.nodeId, x.field]),
    [[node.id, 'norm_placement']],
  );
});
