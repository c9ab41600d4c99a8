// A live edit of a torch run through the API (Debian's python3-torch, CPU): train.py takes it from
// the run folder before a step, and the logged lr changes after the step the API reported; an edit
// of the model's inspect_every changes the steps with an inside view.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createStudioServer, type StudioServer } from './app';
import { api, finalStatus, smokePipeline, tempDir, waitFor, Watcher } from './test-support';

let server: StudioServer;
let runs: Awaited<ReturnType<typeof tempDir>>;
let data: Awaited<ReturnType<typeof tempDir>>;

before(async () => {
  runs = await tempDir('studio-torch-runs-');
  data = await tempDir('studio-torch-data-');
  server = await createStudioServer({ port: 0, runsDir: runs.path, dataDir: data.path, next: false });
});

after(async () => {
  await server.close();
  await runs.remove();
  await data.remove();
});

test('a torch run takes a live edit: the logged lr changes after the reported step', async () => {
  const base = server.url;
  const pipeline = smokePipeline();
  const { id } = (await api(base, '/api/runs', { json: { pipeline, executor: 'torch', torch: { device: 'cpu' }, steps: 100_000 } })).json;
  const watcher = new Watcher(base, id);
  await watcher.subscribe();
  await waitFor('step 5', () => watcher.events.some((e) => e.type === 'step' && e.step! >= 5), 120_000);
  const refused = await api(base, `/api/runs/${id}/edit`, { json: { nodeId: 'backward', params: { on_nonfinite: 'skip' } } });
  assert.equal(refused.status, 409, refused.text);
  assert.equal((await api(base, `/api/runs/${id}/edit`, { json: { nodeId: 'model', params: { n_layers: 2 } } })).status, 409);
  const edit = await api(base, `/api/runs/${id}/edit`, { json: { nodeId: 'scheduler', params: { kind: 'constant', lr: 0.0025 } } });
  assert.equal(edit.status, 200, edit.text);
  const at = edit.json.appliedAtStep;
  const inspect = await api(base, `/api/runs/${id}/edit`, { json: { nodeId: 'model', params: { inspect_every: 3 } } });
  assert.equal(inspect.status, 200, inspect.text);
  const inspectAt = inspect.json.appliedAtStep;
  // train.py runs on while the edit travels: a target it has already passed is refused (400), so
  // aim a little further each time.
  let target = at;
  let shorter = { status: 0, text: '', json: undefined as any };
  for (let ahead = 20; ahead <= 5120 && shorter.status !== 200; ahead *= 4) {
    target = Math.max(at, (await api(base, `/api/runs/${id}`)).json.step) + ahead;
    shorter = await api(base, `/api/runs/${id}/edit`, { json: { nodeId: 'training', params: { steps: target } } });
    if (shorter.status !== 200) assert.match(shorter.text, /steps already done/);
  }
  assert.equal(shorter.status, 200, shorter.text);
  const final = await finalStatus(base, id);
  watcher.close();
  assert.equal(final.state, 'completed', JSON.stringify(final.error));
  assert.equal(final.step, target, 'training.steps shortened the run');

  const lines = (await readFile(join(runs.path, id, 'train_log.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  for (const line of lines.filter((l) => typeof l.loss === 'number')) {
    assert.equal(line.lr === 0.0025, line.step > at, `step ${line.step}: lr ${line.lr}`);
  }
  const edited = watcher.events.filter((e) => e.type === 'run/edited');
  assert.deepEqual(
    edited.map((e) => [e.step, e.nodeId]),
    [
      [at, 'scheduler'],
      [inspectAt, 'model'],
      [shorter.json.appliedAtStep, 'training'],
    ],
  );
  const history = (await readFile(join(runs.path, id, 'edits.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    history.map((e) => e.nodeId),
    ['scheduler', 'model', 'training'],
  );
  const meta = JSON.parse(await readFile(join(runs.path, id, 'checkpoints', `ckpt-${String(target).padStart(6, '0')}.json`), 'utf8'));
  assert.equal(meta.pipeline.nodes.find((n: any) => n.id === 'scheduler').params.lr, 0.0025, 'the checkpoint carries the edited values');
  assert.equal(meta.pipeline.nodes.find((n: any) => n.id === 'model').params.inspect_every, 3);
  assert.equal(meta.edits.length, 3);
  // The inside view at step 1 and every 20 steps, then every 3 from the edit on.
  const insides = watcher.events.filter((e) => e.type === 'model/insides').map((e) => e.step!);
  assert.ok(insides.includes(1) && insides.some((k) => k > inspectAt), String(insides));
  for (const k of insides) assert.ok(k > inspectAt ? k % 3 === 0 : k === 1 || k % 20 === 0, `inside view at step ${k} (edit at ${inspectAt})`);
});
