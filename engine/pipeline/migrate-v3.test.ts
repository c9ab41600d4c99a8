// Format 3: the model's flat params (formats 1 and 2: every template, share link and checkpoint
// made before) become the equivalent subgraph, which compiles to the very same GptConfig and trains
// the same parameters, so a checkpoint saved by a format-2 run resumes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { compile } from '../compiler/compile';
import { gptParamSpecs } from '../model/param-specs';
import { modelConfigOf } from '../nodes/model';
import { migratePipeline } from './migrate';
import { Pipeline, PIPELINE_VERSION } from './schema';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));
const modelsOf = (doc: { nodes: { type: string; params: Record<string, unknown> }[] }) => doc.nodes.filter((n) => n.type === 'model');

/** The GptConfig a flat (format 1/2) model node described, field by field as the format-2 build read it. */
function flatConfig(p: Record<string, unknown>) {
  return {
    vocabSize: p.vocab_size ?? 256,
    contextLength: p.context_length ?? 64,
    dModel: p.d_model ?? 128,
    nLayers: p.n_layers ?? 2,
    nHeads: p.n_heads ?? 4,
    dFF: p.d_ff ?? 512,
    ropeTheta: p.rope_theta ?? 10000,
    norm: p.norm ?? 'rmsnorm',
    ffn: p.ffn ?? 'swiglu',
    tieEmbeddings: p.tie_embeddings ?? true,
  };
}

for (const name of ['v1-seed.json', 'v2-seed.json', 'v2-adamw-vs-sgd.json']) {
  test(`${name}: migrates to format 3 and compiles to the model it described`, () => {
    const doc = fixture(name);
    const migrated = migratePipeline(doc);
    assert.ok(migrated.ok);
    assert.equal(migrated.doc.version, PIPELINE_VERSION);
    const parsed = Pipeline.parse(migrated.doc);
    const compiled = compile(doc);
    assert.ok(compiled.ok, JSON.stringify(!compiled.ok && compiled.diagnostics));
    for (const [before, after] of modelsOf(doc).map((m, i) => [m, modelsOf(parsed)[i]] as const)) {
      assert.equal(after.params.context_length, before.params.context_length);
      assert.deepEqual(Object.keys(after.params).sort(), ['context_length', 'graph']);
      assert.deepEqual(modelConfigOf(after).config, flatConfig(before.params));
      // Same parameter names and shapes: checkpoints keep their meaning.
      assert.deepEqual(gptParamSpecs(modelConfigOf(after).config!), gptParamSpecs(flatConfig(before.params) as never));
    }
  });
}

test('flat variant fields and invalid values migrate onto the inner node that holds them now', () => {
  const doc = fixture('v2-seed.json');
  Object.assign(modelsOf(doc)[0].params, { positions: 'learned', n_kv_heads: 2, norm_placement: 'post', final_norm: false, ffn: 'relu2', d_model: 'wide' });
  const result = compile(doc);
  assert.equal(result.ok, false);
  assert.deepEqual(
    result.diagnostics.map((d) => [d.nodeId, d.field]),
    [['model', 'wte.d_model']],
  );
  modelsOf(doc)[0].params.d_model = 128;
  const fixed = compile(doc);
  assert.ok(fixed.ok);
  const config = modelConfigOf(fixed.plan.nodes.find((n) => n.kind === 'model')!).config!;
  assert.deepEqual([config.positions, config.nKvHeads, config.normPlacement, config.finalNorm, config.ffn], ['learned', 2, 'post', false, 'relu2']);
});

test('a format-3 document is left as it is, and unknown flat keys are still named', () => {
  const v3 = migratePipeline(fixture('v2-seed.json'));
  assert.ok(v3.ok);
  assert.deepEqual(migratePipeline(v3.doc), { ok: true, doc: v3.doc, from: 3 });
  const typo = fixture('v2-seed.json');
  modelsOf(typo)[0].params.d_modle = 64;
  const result = compile(typo);
  assert.deepEqual(!result.ok && result.diagnostics.map((d) => [d.nodeId, d.field, d.code]), [['model', 'd_modle', 'invalid-param']]);
});
