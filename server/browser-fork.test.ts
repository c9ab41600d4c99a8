// Forks on the browser executor: POST /api/runs checks them as for node and torch (a shape change
// refused on its model field, an unknown checkpoint on resume.checkpoint, nothing created), records
// the parent in the status, and copies the checkpoint into the run's folder, where the tab reads it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { decodeSafetensors } from '../engine/checkpoint/safetensors';
import { fetchRunCheckpoint } from '../lib/browser-executor';
import { createStudioServer, type StudioServer } from './app';
import { api, finalStatus, smokePipeline, tempDir } from './test-support';

let server: StudioServer;
let dirs: Awaited<ReturnType<typeof tempDir>>[] = [];
let parent: string;

before(async () => {
  dirs = [await tempDir('studio-browser-fork-runs-'), await tempDir('studio-browser-fork-data-')];
  server = await createStudioServer({ port: 0, runsDir: dirs[0].path, dataDir: dirs[1].path, next: false });
  parent = (await api(server.url, '/api/runs', { json: { pipeline: smokePipeline() } })).json.id;
  assert.equal((await finalStatus(server.url, parent)).state, 'completed');
});

after(async () => {
  await server.close();
  for (const dir of dirs) await dir.remove();
});

const fork = (pipeline: unknown, resume: Record<string, unknown>) =>
  api(server.url, '/api/runs', { json: { pipeline, executor: 'browser', backend: 'wasm', resume: { run: parent, ...resume } } });

test("a browser fork is recorded with its parent, and its checkpoint is served from the fork's folder", async () => {
  const created = await fork(smokePipeline(), { checkpoint: 'ckpt-000010' });
  assert.equal(created.status, 201, created.text);
  const status = (await api(server.url, `/api/runs/${created.json.id}`)).json;
  assert.deepEqual(
    [status.state, status.executor, status.backend, status.step, status.resumeFrom, status.lastSeq],
    ['running', 'browser', 'wasm', 10, 'ckpt-000010', 0],
  );
  assert.deepEqual(status.parent, { run: parent, checkpoint: 'ckpt-000010', step: 10, optimizerState: 'kept' });

  const [mine, theirs] = await Promise.all(
    [created.json.id, parent].map(async (id) => Buffer.from(await (await fetch(`${server.url}/api/runs/${id}/checkpoints/ckpt-000010`)).arrayBuffer())),
  );
  assert.ok(mine.length > 1000 && mine.equals(theirs), 'the same weights as the parent saved');
  // What the studio hands the tab's worker: both files, read from the fork's folder.
  const payload = await fetchRunCheckpoint(created.json.id, 'ckpt-000010', server.url);
  assert.deepEqual([payload.name, payload.step, (payload.meta as { step: number }).step], ['ckpt-000010', 10, 10]);
  assert.ok(Buffer.from(payload.weights).equals(mine));
  await assert.rejects(
    fetchRunCheckpoint(created.json.id, 'ckpt-000030', server.url),
    /ckpt-000030\.safetensors of run \w+ could not be read: the server answered 404/,
  );
});

test('a browser fork restarting its schedule starts at step 0 and leaves the schedule to the tab', async () => {
  const created = await fork(smokePipeline(), { checkpoint: 'ckpt-000010', restartSchedule: true });
  assert.equal(created.status, 201, created.text);
  const status = (await api(server.url, `/api/runs/${created.json.id}`)).json;
  assert.equal(status.step, 0);
  assert.equal(status.restartSchedule, undefined, 'a later resume on the server continues from its own checkpoint');
});

test('a browser fork with another optimizer gets the weights without the optimizer state', async () => {
  const sgd = smokePipeline((doc) => (doc.nodes.find((n: any) => n.id === 'optimizer').params.kind = 'sgd'));
  const created = await fork(sgd, { checkpoint: 'ckpt-000010' });
  assert.equal(created.status, 201, created.text);
  assert.equal((await api(server.url, `/api/runs/${created.json.id}`)).json.parent.optimizerState, 'fresh');
  const weights = new Uint8Array(await (await fetch(`${server.url}/api/runs/${created.json.id}/checkpoints/ckpt-000010`)).arrayBuffer());
  const names = [...decodeSafetensors(weights, 'fork').tensors.keys()];
  assert.ok(names.length > 0 && !names.some((n) => n.startsWith('optim.')), names.join(', '));
});

test('a browser fork that changes d_model, or names a checkpoint the run lacks, is refused and creates nothing', async () => {
  const before = (await api(server.url, '/api/runs')).json.runs.length;
  const wider = await fork(
    smokePipeline((doc) => (doc.nodes.find((n: any) => n.id === 'model').params.d_model = 64)),
    { checkpoint: 'ckpt-000010' },
  );
  assert.equal(wider.status, 400, wider.text);
  assert.deepEqual(
    wider.json.errors.map((e: any) => [e.nodeId, e.field]),
    [['model', 'd_model']],
  );
  const missing = await fork(smokePipeline(), { checkpoint: 'ckpt-999999' });
  assert.equal(missing.status, 400, missing.text);
  assert.ok(
    missing.json.errors.some((e: any) => e.field === 'resume.checkpoint' && /ckpt-999999/.test(e.message)),
    missing.text,
  );
  assert.equal((await api(server.url, '/api/runs')).json.runs.length, before, 'nothing created');
});
