// Flow derivation: blocks, notes and frames from the document; cached objects for unchanged items.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { PORT_TYPES } from '../engine/ports';
import { parseDocumentText, type Pipeline } from './document';
import { addNote, createGroup, setParam } from './edits';
import { DEFAULT_BLOCK_SIZE, FlowNodeCache, groupBounds, toFlowEdges, toFlowNodes } from './flow';

function seed(): Pipeline {
  const loaded = parseDocumentText(readFileSync(new URL('../pipelines/seed.json', import.meta.url), 'utf8'));
  assert.ok(loaded.ok);
  return loaded.doc;
}

test('frames first (behind), then blocks, then notes; data is the document item', () => {
  const grouped = createGroup(seed(), ['clip', 'optimizer'], 'Optim');
  assert.ok('doc' in grouped);
  const { doc } = addNote(grouped.doc, { x: 5, y: 6 }, 'hi');
  const nodes = toFlowNodes(doc, { nodes: ['model'], edges: [] }, {});
  assert.deepEqual(
    nodes.map((n) => n.type),
    ['frame', ...Array(12).fill('block'), 'note'],
  );
  const model = nodes.find((n) => n.id === 'model')!;
  assert.equal(
    model.data,
    doc.nodes.find((n) => n.id === 'model'),
  );
  assert.equal(model.selected, true);
  assert.ok(nodes[0].zIndex! < -1000);
});

test('a frame wraps its blocks with padding and a title bar', () => {
  const grouped = createGroup(seed(), ['clip', 'scheduler']);
  assert.ok('doc' in grouped);
  const sizes = { clip: { width: 200, height: 100 } };
  const box = groupBounds(grouped.doc.groups[0], grouped.doc, sizes)!;
  // clip at (264, 142) measured 200x100; scheduler at (264, 446) not measured yet (default size).
  assert.deepEqual(box, { x: 244, y: 92, width: DEFAULT_BLOCK_SIZE.width + 40, height: 446 - 142 + DEFAULT_BLOCK_SIZE.height + 70 });
});

test('unchanged items keep their flow node object; edited ones get a new one', () => {
  const cache = new FlowNodeCache();
  const doc = seed();
  const first = toFlowNodes(doc, { nodes: [], edges: [] }, {}, cache);
  const edited = setParam(doc, 'model', 'n_heads', 8);
  const second = toFlowNodes(edited, { nodes: [], edges: [] }, {}, cache);
  assert.equal(
    second.find((n) => n.id === 'loss'),
    first.find((n) => n.id === 'loss'),
  );
  assert.notEqual(
    second.find((n) => n.id === 'model'),
    first.find((n) => n.id === 'model'),
  );
});

test('edges take their port colour; blamed edges are red', () => {
  const doc = seed();
  const edges = toFlowEdges(doc, { nodes: [], edges: [] }, new Set(['model.logits->loss.logits']));
  assert.equal(edges.find((e) => e.id === 'scheduler.lr->optimizer.lr')!.style!.stroke, PORT_TYPES.LR.color);
  assert.equal(edges.find((e) => e.id === 'model.logits->loss.logits')!.className, 'edge-broken');
});

test('freeSpot keeps the requested point when it is free and moves off occupied blocks', async () => {
  const { freeSpot } = await import('./flow');
  const doc = seed();
  assert.deepEqual(freeSpot(doc, {}, { x: 2000, y: 2000 }), { x: 2000, y: 2000 });
  const spot = freeSpot(doc, {}, { x: 0, y: 320 }); // on the model block
  const overlaps = doc.nodes.some(
    (n) =>
      spot.x < n.position.x + DEFAULT_BLOCK_SIZE.width + 16 &&
      n.position.x < spot.x + DEFAULT_BLOCK_SIZE.width + 16 &&
      spot.y < n.position.y + DEFAULT_BLOCK_SIZE.height + 16 &&
      n.position.y < spot.y + DEFAULT_BLOCK_SIZE.height + 16,
  );
  assert.ok(!overlaps, JSON.stringify(spot));
  assert.ok(Math.hypot(spot.x, spot.y - 320) <= 40 * 8, 'stays near the point asked for');
});
