// Edge routing: routes start at the source port heading down, end at the target port heading
// down, run only horizontally and vertically, and pass through no block; sizes estimated from
// what blocks draw match the canvas (checked in Chromium by e2e/first-hour.e2e.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { estimateBlockSize } from './block-geometry';
import type { PipelineNode } from './document';
import { roundedPath, routeEdges, segmentCrossesRect, simplify, type Point, type Rect } from './edge-route';

const block = (x: number, y: number, width = 220, height = 90): Rect => ({ x, y, width, height });

/** The blocks (by index) that `route` passes through. */
function crossed(route: Point[], blocks: readonly Rect[]): number[] {
  return blocks.flatMap((r, i) => (route.some((p, k) => k > 0 && segmentCrossesRect(route[k - 1], p, r)) ? [i] : []));
}

function assertOrthogonal(route: Point[]) {
  for (let k = 1; k < route.length; k++) {
    const [a, b] = [route[k - 1], route[k]];
    assert.ok(a.x === b.x || a.y === b.y, `segment ${k} is diagonal: ${JSON.stringify([a, b])}`);
  }
}

test('a segment crosses a rectangle only through its inside, not along its border', () => {
  const r = block(0, 0, 100, 50);
  assert.equal(segmentCrossesRect({ x: -10, y: 25 }, { x: 110, y: 25 }, r), true);
  assert.equal(segmentCrossesRect({ x: 50, y: -20 }, { x: 50, y: 10 }, r), true);
  assert.equal(segmentCrossesRect({ x: -10, y: 50 }, { x: 110, y: 50 }, r), false, 'along the bottom edge');
  assert.equal(segmentCrossesRect({ x: 100, y: -10 }, { x: 100, y: 60 }, r), false, 'along the right edge');
  assert.equal(segmentCrossesRect({ x: 101, y: 0 }, { x: 200, y: 0 }, r), false);
});

test('an edge whose straight line would pass behind a block goes around it', () => {
  // get_batch above, model in between, loss below: the y → targets edge of the seed.
  const blocks = [block(0, 0), block(0, 142), block(0, 300)];
  const from = { x: 165, y: 95.5 };
  const to = { x: 165, y: 294.5 };
  assert.equal(crossed([from, to], blocks).length, 1, 'the straight line does cross the middle block');
  const route = routeEdges(blocks, [{ id: 'e', from, to }]).get('e')!;
  assert.deepEqual(route[0], from);
  assert.deepEqual(route.at(-1), to);
  assertOrthogonal(route);
  assert.deepEqual(crossed(route, blocks), []);
  assert.equal(route[1].x, from.x, 'leaves its port downwards');
  assert.ok(route[1].y > from.y);
  assert.equal(route.at(-2)!.x, to.x, 'enters its port from above');
  assert.ok(route.at(-2)!.y < to.y);
});

test('an edge up to a block above runs around both of its blocks', () => {
  const blocks = [block(0, 300), block(264, 0)]; // loss (bottom left) → backward (top right)
  const route = routeEdges(blocks, [{ id: 'e', from: { x: 110, y: 395.5 }, to: { x: 374, y: -5.5 } }]).get('e')!;
  assertOrthogonal(route);
  assert.deepEqual(crossed(route, blocks), []);
  assert.ok(Math.max(...route.map((p) => p.y)) > 395.5 && Math.min(...route.map((p) => p.y)) < -5.5);
});

test('a straight drop with nothing in between stays straight', () => {
  const blocks = [block(0, 0), block(0, 150)];
  const route = routeEdges(blocks, [{ id: 'e', from: { x: 60, y: 95.5 }, to: { x: 60, y: 144.5 } }]).get('e')!;
  assert.deepEqual(route, [
    { x: 60, y: 95.5 },
    { x: 60, y: 144.5 },
  ]);
});

test('edges from different ports spread over a gap instead of sharing one line', () => {
  // Two sources on the left, two targets on the right, one column gap between.
  const blocks = [block(0, 0), block(0, 200), block(264, 100), block(264, 300)];
  const routes = routeEdges(blocks, [
    { id: 'a', from: { x: 110, y: 95.5 }, to: { x: 374, y: 294.5 } },
    { id: 'b', from: { x: 110, y: 295.5 }, to: { x: 374, y: 94.5 } },
  ]);
  const verticalXs = (id: string) => {
    const r = routes.get(id)!;
    return r.flatMap((p, k) => (k > 0 && r[k - 1].x === p.x && p.x > 220 && p.x < 264 ? [p.x] : []));
  };
  const [a, b] = [verticalXs('a'), verticalXs('b')];
  assert.ok(a.length && b.length, 'both cross the column gap');
  assert.notDeepEqual(a, b, `both ran on x = ${a}`);
});

test('a port with no way out (inside another block) gets a straight line, not a throw', () => {
  const blocks = [block(0, 0), block(-50, 80, 400, 200)];
  const route = routeEdges(blocks, [{ id: 'e', from: { x: 110, y: 95.5 }, to: { x: 110, y: 400 } }]).get('e')!;
  assert.equal(route.length, 2);
});

test('simplify drops repeats and points in the middle of a straight run', () => {
  const pts = [
    { x: 0, y: 0 },
    { x: 0, y: 0 },
    { x: 0, y: 10 },
    { x: 0, y: 20 },
    { x: 5, y: 20 },
  ];
  assert.deepEqual(simplify(pts), [
    { x: 0, y: 0 },
    { x: 0, y: 20 },
    { x: 5, y: 20 },
  ]);
});

test('roundedPath rounds each corner with at most half the shorter leg', () => {
  assert.equal(
    roundedPath(
      [
        { x: 0, y: 0 },
        { x: 0, y: 50 },
        { x: 50, y: 50 },
      ],
      8,
    ),
    'M 0 0 L 0 42 Q 0 50 8 50 L 50 50',
  );
  assert.equal(
    roundedPath(
      [
        { x: 0, y: 0 },
        { x: 0, y: 6 },
        { x: 50, y: 6 },
      ],
      8,
    ),
    'M 0 0 L 0 3 Q 0 6 3 6 L 50 6',
  );
  assert.equal(
    roundedPath([
      { x: 1, y: 2 },
      { x: 1, y: 9 },
    ]),
    'M 1 2 L 1 9',
  );
});

test('block sizes are estimated as the canvas draws them (measured in Chromium at 1440×900)', () => {
  const node = (type: string, params: Record<string, unknown> = {}): PipelineNode => ({ id: type, type, version: 1, params, position: { x: 0, y: 0 } });
  // Heights read from the seed pipeline's blocks in Chromium, at rest and after a finished run.
  const measured: [PipelineNode, number, number][] = [
    [node('dataset', { source: 'brown', tokenizer: 'byte' }), 87, 108],
    [node('get_batch', { batch_size: 16, context_length: 64 }), 108, 110],
    [node('model', { d_model: 128, n_layers: 2, n_heads: 4, vocab_size: 256 }), 125, 127],
    [node('loss'), 70, 91],
    [node('backward'), 89, 110],
    [node('eval'), 70, 91],
    [node('sample'), 87, 130],
    [node('checkpoint'), 70, 110], // two reserved lines: the link and size, then Fork from here
  ];
  for (const [n, idle, running] of measured) {
    assert.equal(estimateBlockSize(n).height, idle, `${n.type} at rest`);
    assert.equal(estimateBlockSize(n, { running: true }).height, running, `${n.type} during a run`);
  }
});
