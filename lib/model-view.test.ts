// The model block's canvas: its subgraph as flow nodes (the repeat a parent frame), and the wires
// a person draws there checked by the engine's port rule.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileModelGraph } from '../engine/model-graph/compile';
import { migrateFlatModelParams } from '../engine/model-graph/default-graph';
import type { InnerGraph } from '../engine/model-graph/graph';
import { connectInner, innerConnectionProblem, innerFlowNodes, inspectEvery, moveInner, readableViewport, removeInnerEdges } from './model-view';

const params = () => migrateFlatModelParams({ d_model: 64, n_heads: 4, n_layers: 3 });
const model = (p: Record<string, unknown>) => ({ id: 'model', type: 'model', params: p, position: { x: 0, y: 0 } });

test("flow nodes: every inner block, the block's layers inside the repeat frame", () => {
  const nodes = innerFlowNodes(model(params()), 'attn');
  assert.deepEqual(
    nodes.filter((n) => !n.parentId).map((n) => n.id),
    ['wte', 'wpe', 'blocks', 'norm_f', 'lm_head'],
  );
  assert.deepEqual(
    nodes
      .filter((n) => n.parentId === 'blocks')
      .map((n) => n.data.type)
      .sort(),
    ['attention', 'block_in', 'block_out', 'ffn', 'norm', 'norm', 'residual', 'residual'],
  );
  assert.ok(nodes.findIndex((n) => n.id === 'blocks') < nodes.findIndex((n) => n.id === 'attn'), 'a parent comes before its children');
  assert.equal(nodes.find((n) => n.id === 'attn')!.selected, true);
});

test('wires: a wrong type, another level or a taken input is refused; a good one reconnects the model', () => {
  const p = params();
  assert.equal(innerConnectionProblem(p, { source: 'lm_head', sourceHandle: 'logits', target: 'norm_f', targetHandle: 'x' }), 'expected Residual, got Logits');
  assert.match(innerConnectionProblem(p, { source: 'wte', sourceHandle: 'y', target: 'attn', targetHandle: 'x' })!, /one level/);
  assert.match(innerConnectionProblem(p, { source: 'wte', sourceHandle: 'y', target: 'blocks', targetHandle: 'x' })!, /already connected/);
  // Drop the final norm's wires, wire the stack straight into the head: no final norm.
  const edges = (p.graph as InnerGraph).edges.filter((e) => e.target === 'lm_head' || e.source === 'norm_f' || e.target === 'norm_f').map((e) => e.id);
  let q = removeInnerEdges(p, edges);
  const wire = { source: 'blocks', sourceHandle: 'y', target: 'lm_head', targetHandle: 'x' };
  assert.equal(innerConnectionProblem(q, wire), null);
  q = connectInner(q, wire);
  (q.graph as InnerGraph).nodes = (q.graph as InnerGraph).nodes.filter((n) => n.id !== 'norm_f');
  assert.equal(compileModelGraph(q.graph as InnerGraph, 64).config?.finalNorm, false);
  assert.deepEqual(
    moveInner(q, 'attn', { x: 10.4, y: 7.6 }).graph &&
      (moveInner(q, 'attn', { x: 10.4, y: 7.6 }).graph as InnerGraph).nodes[2].graph!.nodes.find((n) => n.id === 'attn')!.position,
    { x: 10, y: 8 },
  );
  assert.notEqual(p, q, 'edits copy the params');
});

test("inside views: every inspect_every steps, the model kind's default when unset, 0 when off", () => {
  assert.equal(inspectEvery(model(params())), 20);
  assert.equal(inspectEvery(model({ ...params(), inspect_every: 5 })), 5);
  assert.equal(inspectEvery(model({ ...params(), inspect_every: 0 })), 0);
  assert.equal(inspectEvery(model({ ...params(), inspect_every: -3 })), 0, 'an invalid value draws no promise of a view');
});

test('the fitted view inside the model: the whole graph when readable, else zoom 1 from the top of the repeated block', () => {
  const pad = { top: 56, bottom: 16, left: 48, right: 16 };
  // Fits at zoom ≥ 1: React Flow's own fit.
  assert.equal(readableViewport({ x: 0, y: 0, width: 500, height: 600 }, 200, { width: 800, height: 700 }, pad), null);
  // Too tall: zoom 1, centred across, the frame's top (flow y 200) at the breadcrumb's room (56 px).
  const v = readableViewport({ x: 0, y: 0, width: 520, height: 1500 }, 200, { width: 800, height: 700 }, pad)!;
  assert.deepEqual(v, { x: 48 + (736 - 520) / 2, y: 56 - 200, zoom: 1 });
  // A focus near the bottom does not scroll past the graph's end.
  const low = readableViewport({ x: 0, y: 0, width: 520, height: 1000 }, 900, { width: 800, height: 700 }, pad)!;
  assert.equal(low.y, 56 - (1000 - 628));
  // Wider than the pane: its left edge stays in view.
  assert.equal(readableViewport({ x: -40, y: 0, width: 2000, height: 1500 }, 200, { width: 800, height: 700 }, pad)!.x, 48 + 40);
});
