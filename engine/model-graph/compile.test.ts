// The model subgraph compiler: the default graph is today's GPT; each wiring or shape problem is
// reported on the inner node and field, and on the model block outside.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { compile } from '../compiler/compile';
import { modelConfigOf } from '../nodes/model';
import { migratePipeline } from '../pipeline/migrate';
import { compileModelGraph } from './compile';
import { modelGraphFromFlat } from './default-graph';
import type { InnerGraph, InnerNode } from './graph';

const flatDefault = { vocab_size: 256, d_model: 128, n_layers: 2, n_heads: 4, d_ff: 512 };
const graph = (flat: Record<string, unknown> = flatDefault) => modelGraphFromFlat(flat);
const inner = (g: InnerGraph, id: string): InnerNode => [...g.nodes, ...g.nodes.flatMap((n) => n.graph?.nodes ?? [])].find((n) => n.id === id)!;
const block = (g: InnerGraph) => g.nodes.find((n) => n.type === 'repeat')!.graph!;
const issuesOf = (g: InnerGraph) => compileModelGraph(g, 64).issues.map((i) => `${i.innerNodeId}.${i.field ?? ''} ${i.code}: ${i.message}`);

test('the default graph compiles to the GPT the flat params described', () => {
  const { config, issues } = compileModelGraph(graph(), 64);
  assert.deepEqual(issues, []);
  assert.deepEqual(config, {
    vocabSize: 256,
    contextLength: 64,
    dModel: 128,
    nLayers: 2,
    nHeads: 4,
    dFF: 512,
    ropeTheta: 10000,
    norm: 'rmsnorm',
    ffn: 'swiglu',
    tieEmbeddings: true,
  });
});

test('variants are read from params and from the wiring: post-norm, no norm, no final norm, GQA, learned positions', () => {
  const post = compileModelGraph(
    graph({
      ...flatDefault,
      norm_placement: 'post',
      norm: 'layernorm',
      positions: 'learned',
      n_kv_heads: 2,
      ffn: 'relu2',
      tie_embeddings: false,
      final_norm: false,
    }),
    64,
  );
  assert.deepEqual(post.issues, []);
  assert.equal(post.config!.normPlacement, 'post');
  assert.equal(post.config!.norm, 'layernorm');
  assert.equal(post.config!.positions, 'learned');
  assert.equal(post.config!.nKvHeads, 2);
  assert.equal(post.config!.ffn, 'relu2');
  assert.equal(post.config!.tieEmbeddings, false);
  assert.equal(post.config!.finalNorm, false);
  const none = compileModelGraph(graph({ ...flatDefault, norm_placement: 'none', qk_norm: true, head_dim: 16, norm_learnable: false }), 64);
  assert.deepEqual(none.issues, []);
  assert.deepEqual([none.config!.normPlacement, none.config!.qkNorm, none.config!.headDim, none.config!.normLearnable], ['none', true, 16, false]);
  // Removing the positions node is "no positions".
  const g = graph();
  g.nodes = g.nodes.filter((n) => n.id !== 'wpe');
  g.edges = g.edges
    .filter((e) => e.source !== 'wpe' && e.target !== 'wpe')
    .concat({ id: 'e', source: 'wte', sourceHandle: 'y', target: 'blocks', targetHandle: 'x' });
  assert.equal(compileModelGraph(g, 64).config?.positions, 'none');
});

test('a missing residual path is reported on the layer whose output is not added back', () => {
  const g = graph();
  const b = block(g);
  // attn feeds norm2 directly: res1 dropped.
  b.nodes = b.nodes.filter((n) => n.id !== 'res1');
  b.edges = b.edges.filter((e) => e.source !== 'res1' && e.target !== 'res1');
  b.edges.push(
    { id: 'a', source: 'attn', sourceHandle: 'y', target: 'norm2', targetHandle: 'x' },
    { id: 'b', source: 'attn', sourceHandle: 'y', target: 'res2', targetHandle: 'skip' },
  );
  const issues = issuesOf(g);
  assert.ok(
    issues.some((i) => i.startsWith('attn. missing-residual')),
    issues.join('\n'),
  );
});

test('d_model against n_heads × head_dim, and n_heads against n_kv_heads, on the attention node', () => {
  const g = graph({ ...flatDefault, d_model: 130 });
  assert.deepEqual(issuesOf(g), ['attn.n_heads bad-shape: d_model (130) must be divisible by n_heads (4), or set head_dim']);
  inner(g, 'attn').params.head_dim = 32; // explicit heads: q is [C, n_heads·head_dim], no divisibility needed
  assert.deepEqual(issuesOf(g), []);
  const kv = graph();
  inner(kv, 'attn').params.n_kv_heads = 3;
  assert.deepEqual(issuesOf(kv), ['attn.n_kv_heads bad-shape: n_heads (4) must be divisible by n_kv_heads (3)']);
});

test('a cycle and an unconnected output are named on their nodes', () => {
  const g = graph();
  const b = block(g);
  b.edges = b.edges.filter((e) => !(e.target === 'norm1'));
  b.edges.push({ id: 'loop', source: 'res2', sourceHandle: 'y', target: 'norm1', targetHandle: 'x' });
  const issues = issuesOf(g);
  assert.ok(
    issues.some((i) => i.startsWith('norm1. cycle')),
    issues.join('\n'),
  );
  const dangling = graph();
  dangling.nodes.push({ id: 'extra', type: 'norm', params: {} });
  dangling.edges.push({ id: 'x', source: 'wte', sourceHandle: 'y', target: 'extra', targetHandle: 'x' });
  const out = issuesOf(dangling);
  assert.ok(
    out.some((i) => i.startsWith('extra.y unconnected-output')),
    out.join('\n'),
  );
});

test('a tied-only setting on an untied head, and a tied head naming a node that is not the embedding', () => {
  const g = graph({ ...flatDefault, tie_embeddings: false });
  inner(g, 'lm_head').params.tied_to = 'wte';
  assert.deepEqual(issuesOf(g), ["lm_head.tied_to bad-shape: is set to 'wte', but the head is untied: clear tied_to, or tie the head"]);
  const t = graph();
  inner(t, 'lm_head').params.tied_to = 'wpe';
  assert.match(issuesOf(t)[0], /^lm_head\.tied_to .*not this model's embedding/);
});

test('a wrong wire is refused by port type, and renaming a role node is refused (ids name the parameters)', () => {
  const g = graph();
  g.edges = g.edges.filter((e) => e.target !== 'norm_f');
  g.edges.push({ id: 'w', source: 'lm_head', sourceHandle: 'logits', target: 'norm_f', targetHandle: 'x' });
  assert.ok(
    issuesOf(g).some((i) => i === 'norm_f.x type-mismatch: expected Residual, got Logits'),
    issuesOf(g).join('\n'),
  );
  const r = graph();
  inner(r, 'attn').id = 'attention';
  for (const e of block(r).edges) {
    if (e.source === 'attn') e.source = 'attention';
    if (e.target === 'attn') e.target = 'attention';
  }
  assert.match(issuesOf(r)[0], /^attention\.id graph-shape: plays the role of 'attn'/);
});

test('on the pipeline: inner problems are diagnostics on the model block, field <innerId>.<param>', () => {
  const doc = migratePipeline(JSON.parse(readFileSync(new URL('../../pipelines/smoke.json', import.meta.url), 'utf8')));
  assert.ok(doc.ok);
  const model = (doc.doc.nodes as { id: string; params: { graph: InnerGraph } }[]).find((n) => n.id === 'model')!;
  inner(model.params.graph, 'attn').params.n_kv_heads = 3;
  inner(model.params.graph, 'ffn').params.kind = 'relu3';
  const result = compile(doc.doc);
  assert.equal(result.ok, false);
  const inside = result.diagnostics.filter((d) => d.nodeId === 'model' && d.innerNodeId);
  assert.deepEqual(inside.map((d) => d.field).sort(), ['attn.n_kv_heads', 'ffn.kind']);
  assert.equal(modelConfigOf(model).issues.length, 2);
});
