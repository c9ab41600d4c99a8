// Telling runs apart: the resume note, hyperparameters from the trained pipeline, and what
// differs from the template.
import '../engine/node/tfjs'; // tfjs-core and its cpu backend, as Node sets them up
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setModelField } from '../engine/model-graph/fields';
import { Gpt } from '../engine/model/gpt';
import { registry } from '../engine/nodes';
import { gptConfig } from '../engine/nodes/model';
import { differences, resumeNote, runHyper } from './run-labels';
import { SEED_DOCUMENT } from './templates';

test('resumeNote names the checkpoint and the steps trained again', () => {
  const at = '2026-01-01T00:00:00.000Z';
  assert.equal(
    resumeNote({ resumed: { at, checkpoint: 'ckpt-000250', step: 250, reached: 265 } }),
    'continuing from ckpt-000250 (steps 251–265 will be retrained)',
  );
  assert.equal(resumeNote({ resumed: { at, checkpoint: 'ckpt-000250', step: 250, reached: 251 } }), 'continuing from ckpt-000250 (step 251 will be retrained)');
  assert.equal(resumeNote({ resumed: { at, checkpoint: 'ckpt-000250', step: 250, reached: 250 } }), 'continuing from ckpt-000250');
  assert.equal(resumeNote({ resumed: { at, step: 0, reached: 7 } }), 'started again from step 0 (no checkpoint) (steps 1–7 will be retrained)');
  assert.equal(resumeNote({}), null);
});

test("runHyper reads lr, batch and steps, and counts the model's parameters as the engine builds it", () => {
  const hyper = runHyper(SEED_DOCUMENT, 1000);
  const model = SEED_DOCUMENT.nodes.find((n) => n.id === 'model')!;
  const built = new Gpt(gptConfig(model.params as never), 1);
  try {
    assert.equal(hyper.params, built.parameterCount());
  } finally {
    built.dispose();
  }
  const batch = SEED_DOCUMENT.nodes.find((n) => n.id === 'get_batch')!.params.batch_size;
  assert.deepEqual(
    { ...hyper, params: undefined },
    { lr: SEED_DOCUMENT.nodes.find((n) => n.id === 'scheduler')!.params.lr, batch, params: undefined, steps: 1000 },
  );
});

test('differences lists what changed from the template of the same name, and nothing for the template itself', () => {
  assert.deepEqual(differences(SEED_DOCUMENT), []);
  const wider = {
    ...SEED_DOCUMENT,
    training: { ...SEED_DOCUMENT.training, steps: 200 },
    nodes: SEED_DOCUMENT.nodes.map((n) => (n.id === 'model' ? { ...n, params: setModelField(n.params, 'd_model', 256) } : n)),
  };
  assert.deepEqual(differences(wider), ['steps=200', 'model.wte.d_model=256']);
  assert.deepEqual(differences({ ...wider, meta: { ...wider.meta, name: 'Mine' } }), [], 'no template of that name');
  // As the server stores it: every default spelled out. Still the template.
  const spelled = {
    ...SEED_DOCUMENT,
    nodes: SEED_DOCUMENT.nodes.map((n) => ({ ...n, params: registry.get(n.type)!.params.parse(n.params) as Record<string, unknown> })),
  };
  assert.deepEqual(differences(spelled), []);
});
