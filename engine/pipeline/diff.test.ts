import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { diffPipelines } from './diff';

const smoke = () => JSON.parse(readFileSync(new URL('../../pipelines/smoke.json', import.meta.url), 'utf8'));
const node = (doc: any, id: string) => doc.nodes.find((n: any) => n.id === id);

test('identical graphs say so, whatever their names, positions and written-out defaults', () => {
  const a = smoke();
  const b = smoke();
  b.meta.name = 'renamed';
  node(b, 'model').position = { x: 999, y: 1 };
  node(b, 'optimizer').params.beta1 = 0.9; // the default, written out
  b.version = 1;
  const diff = diffPipelines(a, b);
  assert.equal(diff.identical, true);
  assert.deepEqual(diff.changed, []);
});

test('changed params old -> new per block, and training settings', () => {
  const a = smoke();
  const b = smoke();
  node(b, 'scheduler').params.lr = 3e-3;
  node(b, 'scheduler').params.kind = 'linear';
  delete node(b, 'clip').params.max_norm; // back to its default (1), which smoke writes as 1.0: no change
  node(b, 'optimizer').params.weight_decay = 0; // 0.1 -> 0
  b.training.steps = 50;
  const diff = diffPipelines(a, b);
  assert.equal(diff.identical, false);
  assert.deepEqual(diff.changed, [
    { nodeId: 'training', field: 'steps', old: 20, new: 50 },
    { nodeId: 'scheduler', field: 'kind', old: 'cosine', new: 'linear' },
    { nodeId: 'scheduler', field: 'lr', old: 0.01, new: 3e-3 },
    { nodeId: 'optimizer', field: 'weight_decay', old: 0.1, new: 0 },
  ]);
});

test('blocks and wires added and removed', () => {
  const a = smoke();
  const b = smoke();
  b.nodes = b.nodes.filter((n: any) => n.id !== 'sample');
  b.edges = b.edges.filter((e: any) => e.target !== 'sample' && e.source !== 'sample');
  b.nodes.push({ id: 'eval2', type: 'eval', params: { every: 5 }, position: { x: 0, y: 0 } });
  const fromModel = a.edges.find((e: any) => e.target === 'eval' && e.targetHandle === 'model');
  b.edges.push({ ...fromModel, id: 'new-edge', target: 'eval2' });
  // A wire with a new id but the same ends is the same wire.
  b.edges.find((e: any) => e.target === 'loss').id = 'renamed-edge';
  const diff = diffPipelines(a, b);
  assert.deepEqual(diff.addedNodes, [{ id: 'eval2', type: 'eval' }]);
  assert.deepEqual(diff.removedNodes, [{ id: 'sample', type: 'sample' }]);
  assert.deepEqual(diff.addedEdges, [{ source: fromModel.source, sourceHandle: fromModel.sourceHandle, target: 'eval2', targetHandle: 'model' }]);
  assert.ok(diff.removedEdges.length >= 1 && diff.removedEdges.every((e) => e.target === 'sample'));
  assert.deepEqual(diff.changed, []);
});

test('a block whose kind changed is one change, and broken documents still diff', () => {
  const a = smoke();
  const b = smoke();
  node(b, 'clip').type = 'scheduler';
  assert.deepEqual(diffPipelines(a, b).changed, [{ nodeId: 'clip', field: 'type', old: 'clip', new: 'scheduler' }]);
  const broken = smoke();
  node(broken, 'model').params.d_model = 'wide';
  assert.deepEqual(
    diffPipelines(a, broken).changed.filter((c) => c.nodeId === 'model'),
    [{ nodeId: 'model', field: 'wte.d_model', old: 32, new: 'wide' }],
  );
  assert.equal(diffPipelines(null, a).addedNodes.length, a.nodes.length);
});
