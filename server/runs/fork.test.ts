// A fork's shape check on the server: only the model fields that change the weights' shapes are
// refused, each with the checkpoint's value and the fork's (the studio marks the same fields).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { compile } from '../../engine/compiler/compile';
import type { CheckpointMeta } from '../../engine/runtime/types';
import { shapeChanges } from './fork';
import type { CheckedCheckpoint } from './uploads';

const smoke = () => JSON.parse(readFileSync(new URL('../../pipelines/smoke.json', import.meta.url), 'utf8'));

function planWith(model: Record<string, unknown>) {
  const doc = smoke();
  Object.assign(doc.nodes.find((n: { id: string }) => n.id === 'model').params, model);
  const compiled = compile(doc);
  assert.ok(compiled.ok);
  return compiled.plan;
}

const checkpoint = (pipeline: unknown): CheckedCheckpoint => ({
  name: 'ckpt-000020', weights: new Uint8Array(), tensors: new Map(),
  meta: { format: 'pretrain-studio-checkpoint', formatVersion: 1, step: 20, elapsedSeconds: 1, pipeline, nodes: {}, weights: [], savedAt: '', executor: 'node' } as CheckpointMeta,
});

test('d_model beside a changed rope_theta: only d_model is refused, with both values and the weights that misfit', () => {
  const errors = shapeChanges(planWith({ d_model: 64, rope_theta: 500 }), checkpoint(smoke()), [{ nodeId: 'model', message: 'wte is [256, 32] in the checkpoint, [256, 64] in this model' }]);
  assert.deepEqual(errors.map((e) => [e.nodeId, e.field, e.code]), [['model', 'd_model', 'resume']]);
  assert.match(errors[0].message, /^changes the model's parameter shapes \(32 in ckpt-000020, 64 here\): .* \(wte is \[256, 32\] in the checkpoint/);
});

test('no pipeline in the checkpoint, or the same shapes: nothing to name', () => {
  assert.deepEqual(shapeChanges(planWith({ d_model: 64 }), checkpoint(undefined)), []);
  assert.deepEqual(shapeChanges(planWith({ rope_theta: 500 }), checkpoint(smoke())), []);
});
