// Auto-layout: every block placed, none overlapping, edges pointing down within a band, and the
// drawing folded to the canvas's shape (wide canvas: wider than tall).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_BLOCK_SIZE } from './flow';
import { layoutPipeline } from './layout';
import { SEED_DOCUMENT, TEMPLATES } from './templates';

function extent(positions: Map<string, { x: number; y: number }>) {
  const xs = [...positions.values()].map((p) => p.x);
  const ys = [...positions.values()].map((p) => p.y);
  return { width: Math.max(...xs) + DEFAULT_BLOCK_SIZE.width - Math.min(...xs), height: Math.max(...ys) + DEFAULT_BLOCK_SIZE.height - Math.min(...ys) };
}

test('every block is placed and no two overlap', () => {
  for (const { id, doc } of TEMPLATES) {
    const positions = layoutPipeline(doc);
    assert.deepEqual([...positions.keys()].sort(), doc.nodes.map((n) => n.id).sort(), id);
    const boxes = [...positions.values()];
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i], b = boxes[j];
        const apart = a.x + DEFAULT_BLOCK_SIZE.width <= b.x || b.x + DEFAULT_BLOCK_SIZE.width <= a.x || a.y + DEFAULT_BLOCK_SIZE.height <= b.y || b.y + DEFAULT_BLOCK_SIZE.height <= a.y;
        assert.ok(apart, `${id}: blocks ${i} and ${j} overlap`);
      }
    }
  }
});

test('a wide canvas gets a wide drawing, a tall one a tall drawing', () => {
  const wide = extent(layoutPipeline(SEED_DOCUMENT, {}, 1.6));
  const tall = extent(layoutPipeline(SEED_DOCUMENT, {}, 0.3));
  assert.ok(wide.width > wide.height, `wide: ${JSON.stringify(wide)}`);
  assert.ok(tall.height > tall.width, `tall: ${JSON.stringify(tall)}`);
});

test('within the first band, data flows down: get_batch below dataset, model below get_batch', () => {
  const p = layoutPipeline(SEED_DOCUMENT, {}, 0.3);
  assert.ok(p.get('get_batch')!.y > p.get('dataset')!.y);
  assert.ok(p.get('model')!.y > p.get('get_batch')!.y);
});

test('an empty pipeline has nothing to place', () => {
  assert.equal(layoutPipeline({ ...SEED_DOCUMENT, nodes: [], edges: [] }).size, 0);
});
