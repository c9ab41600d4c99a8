// Store actions: edits with undo/redo (merged typing, one step per drag), selection, paste, open.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { documentToText, emptyDocument, parseDocumentText, type Pipeline } from './document';
import { groupFlowId } from './edits';
import { groupBounds } from './flow';
import { createStudioStore, MERGE_WINDOW_MS } from './store';

const seedText = readFileSync(new URL('../pipelines/seed.json', import.meta.url), 'utf8');
function seed(): Pipeline {
  const loaded = parseDocumentText(seedText);
  assert.ok(loaded.ok);
  return loaded.doc;
}
/** A store with a hand-driven clock. */
function storeAt(doc = seed()) {
  const clock = { t: 0 };
  return { store: createStudioStore(doc, () => clock.t), clock };
}
const param = (s: { doc: Pipeline }, id: string, key: string) => s.doc.nodes.find((n) => n.id === id)!.params[key];

test('setParam, undo and redo', () => {
  const { store } = storeAt();
  const s = store.getState;
  s().setParam('optimizer', 'kind', 'sgd');
  assert.equal(param(s(), 'optimizer', 'kind'), 'sgd');
  s().undo();
  assert.equal(param(s(), 'optimizer', 'kind'), 'adamw');
  s().redo();
  assert.equal(param(s(), 'optimizer', 'kind'), 'sgd');
  s().undo();
  assert.equal(documentToText(s().doc), documentToText(seed()));
});

test('typing into one field is one undo step; a pause or another field starts a new one', () => {
  const { store, clock } = storeAt();
  const s = store.getState;
  for (const v of [1, 12, 128]) {
    s().setParam('get_batch', 'batch_size', v);
    clock.t += 100;
  }
  assert.equal(s().past.length, 1);
  clock.t += MERGE_WINDOW_MS;
  s().setParam('get_batch', 'batch_size', 130);
  s().setParam('get_batch', 'seed', 5);
  assert.equal(s().past.length, 3);
  s().undo();
  s().undo();
  assert.equal(param(s(), 'get_batch', 'batch_size'), 128);
  s().undo();
  assert.equal(param(s(), 'get_batch', 'batch_size'), param({ doc: seed() }, 'get_batch', 'batch_size'));
});

test('a drag is one undo step, however many moves it has', () => {
  const { store } = storeAt();
  const s = store.getState;
  for (let i = 1; i <= 5; i++) s().onNodesChange([{ id: 'model', type: 'position', position: { x: i * 10, y: 284 }, dragging: true }]);
  s().onNodesChange([{ id: 'model', type: 'position', position: { x: 60, y: 284 }, dragging: false }]);
  assert.deepEqual(s().doc.nodes.find((n) => n.id === 'model')!.position, { x: 60, y: 284 });
  assert.equal(s().past.length, 1);
  s().undo();
  assert.deepEqual(s().doc.nodes.find((n) => n.id === 'model')!.position, { x: 0, y: 284 });
});

test('dragging a group frame moves its blocks', () => {
  const { store } = storeAt();
  const s = store.getState;
  s().select({ nodes: ['clip', 'scheduler'], edges: [] });
  const id = s().groupSelection('Optim')!;
  const frame = groupBounds(s().doc.groups[0], s().doc, s().sizes)!;
  s().onNodesChange([{ id: groupFlowId(id), type: 'position', position: { x: frame.x + 30, y: frame.y + 10 }, dragging: true }]);
  s().onNodesChange([{ id: groupFlowId(id), type: 'position', position: { x: frame.x + 30, y: frame.y + 10 }, dragging: false }]);
  assert.deepEqual(s().doc.nodes.find((n) => n.id === 'scheduler')!.position, { x: 294, y: 456 });
  assert.deepEqual(s().doc.nodes.find((n) => n.id === 'clip')!.position, { x: 294, y: 152 });
});

test('selection changes from the canvas; removeSelection deletes nodes with their edges in one step', () => {
  const { store } = storeAt();
  const s = store.getState;
  s().onNodesChange([{ id: 'clip', type: 'select', selected: true }]);
  s().onEdgesChange([{ id: 'scheduler.lr->optimizer.lr', type: 'select', selected: true }]);
  assert.deepEqual(s().selection, { nodes: ['clip'], edges: ['scheduler.lr->optimizer.lr'] });
  s().removeSelection();
  assert.ok(!s().doc.nodes.some((n) => n.id === 'clip'));
  assert.ok(!s().doc.edges.some((e) => e.source === 'clip' || e.target === 'clip' || e.id === 'scheduler.lr->optimizer.lr'));
  assert.deepEqual(s().selection, { nodes: [], edges: [] });
  s().undo();
  assert.equal(documentToText(s().doc), documentToText(seed()));
});

test('connect refuses with the reason (and a notice) or adds the edge', () => {
  const { store } = storeAt();
  const s = store.getState;
  assert.equal(s().connect({ source: 'model', sourceHandle: 'logits', target: 'get_batch', targetHandle: 'tokens' }), 'expected TokenSource, got Logits');
  assert.equal(s().notices.at(-1)!.kind, 'error');
  assert.equal(s().past.length, 0);
  const id = s().addNode('log', { x: 0, y: 0 });
  assert.equal(s().connect({ source: 'backward', sourceHandle: 'loss', target: id, targetHandle: 'loss' }), null);
  assert.ok(s().doc.edges.some((e) => e.target === id));
});

test('copy and paste select the pasted blocks, shifting further each time', () => {
  const { store } = storeAt();
  const s = store.getState;
  s().select({ nodes: ['model', 'loss'], edges: [] });
  assert.ok(s().copySelection());
  s().paste();
  assert.deepEqual(s().selection.nodes, ['model#2', 'loss#2']);
  s().paste();
  assert.deepEqual(s().doc.nodes.find((n) => n.id === 'model#3')!.position, { x: 80, y: 364 });
  assert.ok(s().doc.edges.some((e) => e.source === 'model#3' && e.target === 'loss#3'));
});

test('openText loads a valid file as one undoable step, and leaves the graph alone on a bad one', () => {
  const { store } = storeAt(emptyDocument());
  const s = store.getState;
  assert.equal(s().openText('{"version": 1, "nodes": [{"id": "x y"}]}', 'bad.json'), false);
  assert.equal(s().doc.nodes.length, 0);
  assert.match(s().notices.at(-1)!.text, /Could not open bad\.json: nodes\.0\.id/);
  assert.equal(s().openText(seedText, 'seed.json'), true);
  assert.equal(s().doc.nodes.length, 12);
  assert.equal(s().view?.kind, 'fit');
  s().undo();
  assert.equal(s().doc.nodes.length, 0);
});

test('undo prunes the selection of items that no longer exist; renaming keeps it', () => {
  const { store } = storeAt();
  const s = store.getState;
  const id = s().addNode('clip', { x: 0, y: 0 });
  assert.deepEqual(s().selection.nodes, [id]);
  assert.equal(s().renameNode(id, 'clip_extra'), null);
  assert.deepEqual(s().selection.nodes, ['clip_extra']);
  assert.match(s().renameNode('clip_extra', 'model')!, /already used/);
  s().undo();
  s().undo();
  assert.deepEqual(s().selection.nodes, []);
});

test('measured sizes and note resizing', () => {
  const { store } = storeAt();
  const s = store.getState;
  const note = s().addNote({ x: 0, y: 0 }, 'hi');
  s().onNodesChange([{ id: 'model', type: 'dimensions', dimensions: { width: 230, height: 120 } }]);
  assert.deepEqual(s().sizes.model, { width: 230, height: 120 });
  assert.equal(s().past.length, 1); // the note; measuring is not an edit
  s().onNodesChange([{ id: `note/${note}`, type: 'dimensions', dimensions: { width: 300.4, height: 150 }, resizing: true, setAttributes: true }]);
  assert.deepEqual(s().doc.notes[0], { id: note, text: 'hi', position: { x: 0, y: 0 }, width: 300, height: 150 });
});

test('focusProblem selects the node or edge and asks the canvas to centre it', () => {
  const { store } = storeAt();
  const s = store.getState;
  s().focusProblem({ severity: 'error', code: 'bad-shape', nodeId: 'model', field: 'n_heads', message: 'x' });
  assert.deepEqual(s().selection, { nodes: ['model'], edges: [] });
  assert.deepEqual({ ...s().view, nonce: 0 }, { nonce: 0, kind: 'focus', flowId: 'model' });
  s().focusProblem({ severity: 'error', code: 'dangling-edge', edgeId: 'model.logits->loss.logits', message: 'x' });
  assert.deepEqual(s().selection, { nodes: [], edges: ['model.logits->loss.logits'] });
  s().focusProblem({ severity: 'error', code: 'invalid-document', field: 'version', message: 'x' });
  assert.equal(s().panel, 'json');
});

test('live values per node (for the run view)', () => {
  const { store } = storeAt();
  const s = store.getState;
  s().setLive('loss', { metrics: { loss: 2.5 }, series: { loss: [3, 2.5] } });
  assert.equal(s().live.loss.metrics.loss, 2.5);
  s().clearLive();
  assert.deepEqual(s().live, {});
});

test('a problem inside the model block opens the block on the inner node', () => {
  const { store } = storeAt();
  const s = store.getState;
  s().focusProblem({ severity: 'error', code: 'bad-shape', nodeId: 'model', innerNodeId: 'attn', field: 'attn.n_kv_heads', message: 'x' });
  assert.deepEqual(s().modelView, { modelId: 'model', selected: 'attn' });
  s().focusProblem({ severity: 'error', code: 'bad-shape', nodeId: 'optimizer', field: 'lr', message: 'x' });
  assert.equal(s().modelView, null);
});
