// Document edits: connections (typed, one edge per input), add/remove, groups, rename.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { compileModelGraph } from '../engine/model-graph/compile';
import { compile } from '../engine/compiler/compile';
import { parseDocumentText, type Pipeline } from './document';
import * as edits from './edits';

function seed(): Pipeline {
  const loaded = parseDocumentText(readFileSync(new URL('../pipelines/seed.json', import.meta.url), 'utf8'));
  assert.ok(loaded.ok);
  return loaded.doc;
}

test('connectionProblem: the engine rule, occupied inputs, self loops', () => {
  const doc = seed();
  assert.equal(
    edits.connectionProblem(doc, { source: 'model', sourceHandle: 'logits', target: 'get_batch', targetHandle: 'tokens' }),
    'expected TokenSource, got Logits',
  );
  assert.match(
    edits.connectionProblem(doc, { source: 'dataset', sourceHandle: 'valid', target: 'get_batch', targetHandle: 'tokens' })!,
    /already fed by dataset\.train/,
  );
  assert.equal(edits.connectionProblem(doc, { source: 'clip', sourceHandle: 'grads', target: 'clip', targetHandle: 'grads' }), 'a block cannot feed itself');
  const { doc: withClip } = edits.addNode(doc, 'clip', { x: 0, y: 0 });
  assert.equal(edits.connectionProblem(withClip, { source: 'clip', sourceHandle: 'grads', target: 'clip#2', targetHandle: 'grads' }), null);
});

test('connect adds a readable edge the compiler accepts', () => {
  let doc = seed();
  doc = edits.removeItems(doc, { nodes: [], edges: ['clip.grads->optimizer.grads'] });
  assert.ok(!compile(doc).ok);
  const result = edits.connect(doc, { source: 'clip', sourceHandle: 'grads', target: 'optimizer', targetHandle: 'grads' });
  assert.ok('doc' in result);
  assert.equal(result.edgeId, 'clip.grads->optimizer.grads');
  assert.ok(compile(result.doc).ok);
});

test('addNode: unique id, current kind version, every default param, rounded position', () => {
  const { doc, id } = edits.addNode(seed(), 'model', { x: 10.4, y: 20.6 });
  const node = doc.nodes.find((n) => n.id === id)!;
  assert.equal(id, 'model#2');
  assert.equal(node.version, 3);
  assert.equal(node.params.inspect_every, 20);
  // A new model block starts with the default subgraph: its attention has the default 4 heads.
  const graph = node.params.graph as { nodes: { id: string; graph?: { nodes: { id: string; params: Record<string, unknown> }[] } }[] };
  assert.deepEqual(
    graph.nodes.map((n) => n.id),
    ['wte', 'wpe', 'blocks', 'norm_f', 'lm_head'],
  );
  assert.equal(compileModelGraph(graph as never, 64).config?.nHeads, 4);
  assert.deepEqual(node.position, { x: 10, y: 21 });
});

test('setParam: sets, removes with undefined, and returns the same document for a no-op', () => {
  const doc = seed();
  const set = edits.setParam(doc, 'optimizer', 'kind', 'sgd');
  assert.equal(set.nodes.find((n) => n.id === 'optimizer')!.params.kind, 'sgd');
  assert.equal(set.nodes.find((n) => n.id === 'optimizer')!.params.weight_decay, 0.1); // shared params stay
  assert.equal(edits.setParam(set, 'optimizer', 'kind', 'sgd'), set);
  const cleared = edits.setParam(doc, 'optimizer', 'beta1', undefined);
  assert.ok(!('beta1' in cleared.nodes.find((n) => n.id === 'optimizer')!.params));
  assert.equal(doc.nodes.find((n) => n.id === 'optimizer')!.params.kind, 'adamw'); // input untouched
});

test('removeItems takes edges along and drops groups left empty', () => {
  let doc = seed();
  const grouped = edits.createGroup(doc, ['clip', 'optimizer'], 'Optim');
  assert.ok('doc' in grouped);
  doc = edits.removeItems(grouped.doc, { nodes: ['clip'], edges: [] });
  assert.ok(!doc.edges.some((e) => e.source === 'clip' || e.target === 'clip'));
  assert.deepEqual(doc.groups[0].nodeIds, ['optimizer']);
  doc = edits.removeItems(doc, { nodes: ['optimizer'], edges: [] });
  assert.equal(doc.groups.length, 0);
  assert.equal(edits.removeItems(doc, { nodes: ['ghost'], edges: [] }), doc);
});

test('a block joins one group at a time', () => {
  const first = edits.createGroup(seed(), ['clip', 'optimizer']);
  assert.ok('doc' in first);
  const second = edits.createGroup(first.doc, ['optimizer', 'scheduler']);
  assert.ok('doc' in second);
  assert.deepEqual(
    second.doc.groups.map((g) => g.nodeIds),
    [['clip'], ['optimizer', 'scheduler']],
  );
  assert.ok('problem' in edits.createGroup(seed(), ['note/x']));
});

test('moveGroup moves its members; moveItems rounds and ignores unknown ids', () => {
  const grouped = edits.createGroup(seed(), ['clip', 'scheduler']);
  assert.ok('doc' in grouped);
  const moved = edits.moveGroup(grouped.doc, grouped.id, { x: 5, y: -5 });
  assert.deepEqual(moved.nodes.find((n) => n.id === 'scheduler')!.position, { x: 269, y: 441 });
  assert.deepEqual(moved.nodes.find((n) => n.id === 'model')!.position, { x: 0, y: 284 });
  const doc = seed();
  assert.equal(edits.moveItems(doc, new Map([['ghost', { x: 1, y: 1 }]])), doc);
});

test('renameNode rewires edges and groups, and refuses taken or malformed ids', () => {
  const grouped = edits.createGroup(seed(), ['model']);
  assert.ok('doc' in grouped);
  const renamed = edits.renameNode(grouped.doc, 'model', 'gpt');
  assert.ok('doc' in renamed);
  assert.ok(renamed.doc.edges.some((e) => e.source === 'gpt' && e.sourceHandle === 'logits'));
  assert.deepEqual(renamed.doc.groups[0].nodeIds, ['gpt']);
  assert.ok(compile(renamed.doc).ok);
  assert.ok('problem' in edits.renameNode(seed(), 'model', 'loss'));
  assert.ok('problem' in edits.renameNode(seed(), 'model', 'has space'));
});

test('flow ids keep notes and groups apart from blocks', () => {
  assert.deepEqual(edits.parseFlowId(edits.noteFlowId('n1')), { kind: 'note', id: 'n1' });
  assert.deepEqual(edits.parseFlowId(edits.groupFlowId('g')), { kind: 'group', id: 'g' });
  assert.deepEqual(edits.parseFlowId('get_batch#2'), { kind: 'block', id: 'get_batch#2' });
});
