import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { modelShapeChanges } from './shape-changes';

const smoke = () => JSON.parse(readFileSync(new URL('../../pipelines/smoke.json', import.meta.url), 'utf8'));
const withModel = (patch: Record<string, unknown>, id = 'model') => {
  const doc = smoke();
  const model = doc.nodes.find((n: { id: string }) => n.id === 'model');
  model.id = id;
  Object.assign(model.params, patch);
  return doc;
};

test('a width, depth, vocabulary or head change is named with its values', () => {
  const parent = smoke();
  assert.deepEqual(modelShapeChanges(parent, withModel({ d_model: 64 })), [{ nodeId: 'model', field: 'd_model', old: 32, new: 64 }]);
  assert.deepEqual(
    modelShapeChanges(parent, withModel({ n_layers: 2 })).map((c) => c.field),
    ['n_layers'],
  );
  assert.deepEqual(
    modelShapeChanges(parent, withModel({ vocab_size: 300 })).map((c) => c.field),
    ['vocab_size'],
  );
  assert.deepEqual(
    modelShapeChanges(parent, withModel({ tie_embeddings: false })).map((c) => c.field),
    ['tie_embeddings'],
  );
  assert.deepEqual(
    modelShapeChanges(parent, withModel({ ffn: 'gelu' })).map((c) => c.field),
    ['ffn'],
  );
});

test('fields that keep the shapes are not named, even beside one that does not', () => {
  const parent = smoke();
  assert.deepEqual(modelShapeChanges(parent, withModel({ rope_theta: 500, n_heads: 4 })), []);
  assert.deepEqual(
    modelShapeChanges(parent, withModel({ rope_theta: 500, d_ff: 128 })).map((c) => c.field),
    ['d_ff'],
  );
});

test('defaults count as written: an omitted default equals the same value written out', () => {
  const parent = smoke();
  const explicit = withModel({});
  delete explicit.nodes.find((n: { id: string }) => n.id === 'model').params.norm; // rmsnorm is the default
  assert.deepEqual(modelShapeChanges(parent, explicit), []);
});

test('a renamed model is matched when it is the only one; no model before: nothing to compare', () => {
  assert.deepEqual(
    modelShapeChanges(smoke(), withModel({ d_model: 48 }, 'gpt')).map((c) => [c.nodeId, c.field]),
    [['gpt', 'd_model']],
  );
  assert.deepEqual(modelShapeChanges({ nodes: [] }, withModel({ d_model: 48 })), []);
});

test('params that do not parse are left to the compiler', () => {
  assert.deepEqual(modelShapeChanges(smoke(), withModel({ d_model: 'wide' })), []);
});
