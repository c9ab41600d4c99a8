// Copy/paste: fresh ids, internal edges remapped, external edges left behind.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { copyFragment, pasteFragment } from './clipboard';
import { parseDocumentText, type Pipeline } from './document';
import { createGroup, groupFlowId, noteFlowId, addNote } from './edits';

function seed(): Pipeline {
  const loaded = parseDocumentText(readFileSync(new URL('../pipelines/seed.json', import.meta.url), 'utf8'));
  assert.ok(loaded.ok);
  return loaded.doc;
}

test('copies the selected blocks and only the edges between them', () => {
  const fragment = copyFragment(seed(), ['get_batch', 'model', 'loss'])!;
  assert.deepEqual(
    fragment.nodes.map((n) => n.id),
    ['get_batch', 'model', 'loss'],
  );
  assert.deepEqual(fragment.edges.map((e) => e.id).sort(), ['get_batch.x->model.x', 'get_batch.y->loss.targets', 'model.logits->loss.logits']);
  assert.equal(copyFragment(seed(), []), null);
});

test('paste remaps ids in nodes and edges, offsets positions, and keeps params', () => {
  const doc = seed();
  const fragment = copyFragment(doc, ['get_batch', 'model', 'loss'])!;
  const { doc: pasted, ids } = pasteFragment(doc, fragment, { x: 40, y: 40 });
  assert.deepEqual(ids, ['get_batch#2', 'model#2', 'loss#2']);
  const model = pasted.nodes.find((n) => n.id === 'model#2')!;
  assert.deepEqual(model.position, { x: 40, y: 324 });
  assert.deepEqual(model.params, doc.nodes.find((n) => n.id === 'model')!.params);
  const newEdges = pasted.edges.slice(doc.edges.length);
  assert.deepEqual(newEdges.map((e) => `${e.source}.${e.sourceHandle}->${e.target}.${e.targetHandle}`).sort(), [
    'get_batch#2.x->model#2.x',
    'get_batch#2.y->loss#2.targets',
    'model#2.logits->loss#2.logits',
  ]);
  assert.equal(new Set(pasted.edges.map((e) => e.id)).size, pasted.edges.length);
  // Pasting twice gives another set of ids; the clipboard itself is never mutated.
  const again = pasteFragment(pasted, fragment);
  assert.deepEqual(again.ids, ['get_batch#3', 'model#3', 'loss#3']);
  assert.equal(fragment.nodes[1].id, 'model');
});

test('notes and whole groups copy along', () => {
  const grouped = createGroup(seed(), ['clip', 'optimizer'], 'Optim');
  assert.ok('doc' in grouped);
  const { doc, id: noteId } = addNote(grouped.doc, { x: 0, y: 0 }, 'hello');
  const fragment = copyFragment(doc, [groupFlowId(grouped.id), noteFlowId(noteId)])!;
  assert.deepEqual(
    fragment.nodes.map((n) => n.id),
    ['clip', 'optimizer'],
  );
  const { doc: pasted, ids } = pasteFragment(doc, fragment);
  assert.deepEqual(ids, ['clip#2', 'optimizer#2', noteFlowId('note#2'), groupFlowId('group#2')]);
  assert.deepEqual(pasted.groups.at(-1), { id: 'group#2', title: 'Optim', nodeIds: ['clip#2', 'optimizer#2'] });
  assert.equal(pasted.notes.at(-1)!.text, 'hello');
});
