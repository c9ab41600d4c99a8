// Which blocks may show a run's numbers: only those the run trained as they are now.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setModelField } from '../engine/model-graph/fields';
import { samePipeline, trainedAsIs } from './run-pipelines';
import { TEMPLATES } from './templates';

const seed = TEMPLATES.find((t) => t.id === 'seed')!.doc;
const smoke = TEMPLATES.find((t) => t.id === 'smoke')!.doc;
const node = (doc: typeof seed, id: string) => doc.nodes.find((n) => n.id === id)!;

test('the same pipeline: every block is the one trained', () => {
  for (const n of seed.nodes) assert.ok(trainedAsIs(seed, n), n.id);
});

test('another pipeline with the same ids: its model is not the one trained', () => {
  assert.equal(trainedAsIs(smoke, node(seed, 'model')), false);
  assert.equal(trainedAsIs(smoke, node(seed, 'get_batch')), false);
});

test('params written out as their defaults are the same params', () => {
  const model = node(seed, 'model');
  const trained = { ...seed, nodes: seed.nodes.map((n) => (n.id === 'model' ? { ...n, params: setModelField(n.params, 'wpe.theta', 10000) } : n)) };
  const bare = { ...model, params: setModelField(model.params, 'wpe.theta', undefined) };
  assert.ok(trainedAsIs(trained, bare));
});

test('an edited param, another kind, or a block the run did not have: not the one trained', () => {
  const model = node(seed, 'model');
  assert.equal(trainedAsIs(seed, { ...model, params: setModelField(model.params, 'n_heads', 8) }), false);
  assert.equal(trainedAsIs(seed, { ...model, type: 'loss' }), false);
  assert.equal(trainedAsIs(seed, { ...model, id: 'model_2' }), false);
});

test('samePipeline: the same name and blocks, edited or not; another template with the same blocks is another pipeline', () => {
  assert.ok(samePipeline(seed, seed));
  assert.ok(samePipeline(seed, { ...seed, nodes: seed.nodes.map((n) => (n.id === 'model' ? { ...n, params: { ...n.params, n_heads: 8 } } : n)) }));
  assert.equal(samePipeline(smoke, seed), false, 'Smoke and Seed share every block id and kind');
  assert.equal(samePipeline(seed, { ...seed, nodes: seed.nodes.slice(1) }), false);
  assert.equal(samePipeline(seed, { ...seed, nodes: seed.nodes.map((n) => (n.id === 'clip' ? { ...n, type: 'loss' } : n)) }), false);
});
