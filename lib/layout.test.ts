// Auto-layout: every block placed, none overlapping, edges pointing down within a band, and the
// drawing folded to the canvas's shape (wide canvas: wider than tall).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { drawingOf, estimateSizes } from './block-geometry';
import { loadDocumentValue, type Pipeline } from './document';
import { routeEdges, segmentCrossesRect } from './edge-route';
import { DEFAULT_BLOCK_SIZE } from './flow';
import { layoutPipeline, outgrew } from './layout';
import { SEED_DOCUMENT, TEMPLATES } from './templates';

/** Every pipeline bundled in pipelines/ (not only those offered as templates). */
function bundledPipelines(): { name: string; doc: Pipeline }[] {
  const dir = join(import.meta.dirname, '..', 'pipelines');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((name) => {
      const loaded = loadDocumentValue(JSON.parse(readFileSync(join(dir, name), 'utf8')));
      assert.ok(loaded.ok, `${name} loads`);
      return { name, doc: loaded.doc };
    });
}

/**
 * Each edge that passes behind a block other than its two ends, as "edge behind block", for the
 * blocks at `positions` drawn at `sizes`. Each block is grown by 2 px on every side, so a route
 * that only grazes a block (within the estimate's error) counts too.
 */
function edgesBehindBlocks(
  doc: Pipeline,
  positions: ReadonlyMap<string, { x: number; y: number }> | undefined,
  sizes: ReturnType<typeof estimateSizes>,
  route = routeEdges,
): string[] {
  const { rects, ends } = drawingOf(doc, positions, sizes);
  assert.equal(ends.length, doc.edges.length, 'every edge has both ports');
  const routes = route([...rects.values()], ends);
  const edgeById = new Map(doc.edges.map((e) => [e.id, e]));
  const found: string[] = [];
  for (const [id, route] of routes) {
    const { source, target } = edgeById.get(id)!;
    for (const [blockId, r] of rects) {
      if (blockId === source || blockId === target) continue;
      const grown = { x: r.x - 2, y: r.y - 2, width: r.width + 4, height: r.height + 4 };
      if (route.some((p, k) => k > 0 && segmentCrossesRect(route[k - 1], p, grown))) found.push(`${id} behind ${blockId}`);
    }
  }
  return found;
}

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
        const a = boxes[i],
          b = boxes[j];
        const apart =
          a.x + DEFAULT_BLOCK_SIZE.width <= b.x ||
          b.x + DEFAULT_BLOCK_SIZE.width <= a.x ||
          a.y + DEFAULT_BLOCK_SIZE.height <= b.y ||
          b.y + DEFAULT_BLOCK_SIZE.height <= a.y;
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

test('the check finds an edge behind a block: the seed drawn with straight port-to-port lines', () => {
  const straight: typeof routeEdges = (_blocks, ends) => new Map(ends.map((e) => [e.id, [e.from, e.to]]));
  const found = edgesBehindBlocks(SEED_DOCUMENT, undefined, estimateSizes(SEED_DOCUMENT), straight);
  assert.ok(found.includes('get_batch.y->loss.targets behind model'), found.join('; '));
});

test("no edge passes behind a block: every bundled pipeline as saved, at rest and with a run's numbers", () => {
  const all = bundledPipelines();
  assert.ok(all.some((p) => p.name === 'seed.json') && all.some((p) => p.name === 'smoke.json'));
  for (const { name, doc } of all) {
    assert.deepEqual(edgesBehindBlocks(doc, undefined, estimateSizes(doc)), [], `${name} at rest`);
    assert.deepEqual(edgesBehindBlocks(doc, undefined, estimateSizes(doc, { running: true })), [], `${name} during a run`);
  }
});

test('no edge passes behind a block after Auto-layout, for canvases wide and tall, at rest and during a run', () => {
  // 868×608: the studio's canvas at 1440×900 with the run panel open; 868×790 with it closed.
  for (const { name, doc } of bundledPipelines()) {
    for (const aspect of [868 / 608, 868 / 790, 1.8, 0.6]) {
      const positions = layoutPipeline(doc, estimateSizes(doc), aspect);
      assert.deepEqual(edgesBehindBlocks(doc, positions, estimateSizes(doc)), [], `${name} laid out for ${aspect.toFixed(2)}`);
      assert.deepEqual(edgesBehindBlocks(doc, positions, estimateSizes(doc, { running: true })), [], `${name} laid out for ${aspect.toFixed(2)}, running`);
    }
  }
});

test('a block outgrew its layout only when measured more than a pixel larger than it was laid out with', () => {
  const laid = { a: { width: 200, height: 80 }, b: { width: 150, height: 60 } };
  assert.equal(outgrew(laid, { a: { width: 200, height: 80 }, b: { width: 151, height: 60 } }), false, 'within a pixel');
  assert.equal(outgrew(laid, { a: { width: 200, height: 104 } }), true, 'its "not connected" lines made it taller');
  assert.equal(outgrew(laid, { b: { width: 190, height: 60 } }), true, 'wider');
  assert.equal(outgrew(laid, { a: { width: 180, height: 70 }, c: { width: 900, height: 900 } }), false, 'smaller, and a block not laid out');
});
