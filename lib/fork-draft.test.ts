import { setModelField } from '../engine/model-graph/fields';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { loadDocumentValue, type Pipeline } from './document';
import { forkDiagnostics, forkHref, forkPipeline, forkRequest, forkStore, parseForkDraft, type ForkDraft } from './fork-draft';

const smokeRaw = () => JSON.parse(readFileSync(new URL('../pipelines/smoke.json', import.meta.url), 'utf8'));
const smoke = (): Pipeline => {
  const loaded = loadDocumentValue(smokeRaw());
  assert.ok(loaded.ok);
  return loaded.doc;
};
const node = (doc: Pipeline, id: string) => doc.nodes.find((n) => n.id === id)!;
const draft = (patch: Partial<ForkDraft> = {}): ForkDraft => ({
  run: '0mx12bdyhkuvf',
  runName: 'Smoke',
  checkpoint: 'ckpt-000010',
  step: 10,
  restartSchedule: false,
  base: smoke(),
  ...patch,
});

test('a changed d_model is an error on the model block, a changed lr is not', () => {
  const doc = smoke();
  const model = node(doc, 'model');
  model.params = setModelField(model.params as Parameters<typeof setModelField>[0], 'd_model', 64);
  node(doc, 'scheduler').params.lr = 0.001;
  const found = forkDiagnostics(draft(), doc);
  assert.deepEqual(
    found.map((d) => [d.severity, d.nodeId, d.field]),
    [['error', 'model', 'd_model']],
  );
  assert.match(found[0].message, /parameter shapes \(32 in ckpt-000010, 64 here\)/);
});

test('a fork needs steps left after its checkpoint, unless the schedule restarts', () => {
  const doc = smoke(); // 20 steps
  assert.deepEqual(forkDiagnostics(draft({ step: 19 }), doc), []);
  const done = forkDiagnostics(draft({ step: 20, checkpoint: 'ckpt-000020' }), doc);
  assert.deepEqual(
    done.map((d) => d.field),
    ['training.steps'],
  );
  assert.match(done[0].message, /ckpt-000020 is at step 20 and the run trains 20 steps/);
  assert.deepEqual(forkDiagnostics(draft({ step: 20, restartSchedule: true }), doc), []);
});

test("the checkpoint's pipeline (with the parent's live edits) is opened before the run's", () => {
  const started = smokeRaw();
  const edited = smokeRaw();
  edited.nodes.find((n: { id: string }) => n.id === 'scheduler').params.lr = 0.0042;
  const opened = forkPipeline({ step: 10, pipeline: edited }, started);
  assert.ok(opened.ok && opened.from === 'checkpoint');
  assert.equal(node(opened.doc, 'scheduler').params.lr, 0.0042);
  const fallback = forkPipeline({ step: 10 }, started);
  assert.ok(fallback.ok && fallback.from === 'run');
  assert.equal(node(fallback.doc, 'scheduler').params.lr, node(smoke(), 'scheduler').params.lr);
  // An unreadable pipeline in the checkpoint: the run's.
  assert.equal((forkPipeline({ pipeline: { version: 99 } }, started) as { from: string }).from, 'run');
  const none = forkPipeline({ step: 10 }, undefined);
  assert.ok(!none.ok);
  assert.match(none.message, /has a pipeline to open/);
});

test('a stored draft reads back; damaged or foreign entries are ignored', () => {
  const stored = draft({ restartSchedule: true });
  assert.deepEqual(parseForkDraft(JSON.stringify(stored)), stored);
  assert.equal(parseForkDraft(null), null);
  assert.equal(parseForkDraft('{'), null);
  assert.equal(parseForkDraft(JSON.stringify({ ...stored, run: '../etc' })), null);
  assert.equal(parseForkDraft(JSON.stringify({ ...stored, checkpoint: '.hidden' })), null);
  assert.equal(parseForkDraft(JSON.stringify({ ...stored, step: -1 })), null);
  assert.equal(parseForkDraft(JSON.stringify({ ...stored, base: { version: 1, nodes: 'x' } })), null);
});

test('the studio address of a fork reads back', () => {
  const href = forkHref('0mx12bdyhkuvf', 'ckpt-000010');
  assert.equal(href, '/?fork=0mx12bdyhkuvf&checkpoint=ckpt-000010');
  assert.deepEqual(forkRequest(href.slice(1)), { run: '0mx12bdyhkuvf', checkpoint: 'ckpt-000010' });
  assert.equal(forkRequest('?fork=0mx12bdyhkuvf'), null);
});

test('the draft store: restart schedule is kept on the draft, clear ends it', () => {
  forkStore.getState().begin(draft());
  forkStore.getState().setRestartSchedule(true);
  assert.equal(forkStore.getState().draft?.restartSchedule, true);
  forkStore.getState().clear();
  assert.equal(forkStore.getState().draft, null);
  forkStore.getState().setRestartSchedule(true); // no draft: nothing to set
  assert.equal(forkStore.getState().draft, null);
});
