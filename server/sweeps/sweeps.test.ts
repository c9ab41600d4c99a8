// Sweeps through the API on a real server: points become ordinary runs, grouped; bad axes are
// refused before anything runs; a stopped sweep stops its points; a sweep outlives a crash.
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createStudioServer, type StudioServer } from '../app';
import { anyValue } from '../../engine/testing/pipeline-mutations';
import { api, smokePipeline, tempDir, waitFor, killServer, spawnServer } from '../test-support';

let server: StudioServer;
let base: string;
let runsDir: string;
const dirs: Awaited<ReturnType<typeof tempDir>>[] = [];

before(async () => {
  const runs = await tempDir('studio-sweeps-');
  const data = await tempDir('studio-data-');
  dirs.push(runs, data);
  runsDir = runs.path;
  server = await createStudioServer({ port: 0, runsDir, dataDir: data.path, next: false });
  base = server.url;
});

after(async () => {
  await server.close();
  for (const d of dirs) await d.remove();
});

const LRS = [2e-3, 5e-3, 1e-2];
const lrAxis = { nodeId: 'scheduler', field: 'lr', values: LRS };

test('a sweep of three learning rates: three runs, grouped, each trained with its lr', async () => {
  const created = await api(base, '/api/sweeps', { json: { pipeline: smokePipeline(), executor: 'node', axes: [lrAxis], steps: 10 } });
  assert.equal(created.status, 201, created.text);
  const { id, runs } = created.json;
  assert.equal(runs.length, 3);

  const sweep = await waitFor('the sweep to complete', async () => {
    const s = (await api(base, `/api/sweeps/${id}`)).json;
    return s.state === 'completed' && s;
  }, 120_000);
  assert.deepEqual(sweep.runs.map((r: any) => r.id), runs);
  assert.deepEqual(sweep.runs.map((r: any) => r.values['scheduler.lr']), LRS);
  assert.deepEqual(sweep.axes, [lrAxis]);
  for (const [i, run] of sweep.runs.entries()) {
    assert.equal(run.state, 'completed');
    assert.ok(run.bestValLoss > 0 && run.bestValStep === 10, 'smoke evaluates at step 10');
    const log = (await readFile(join(runsDir, run.id, 'train_log.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    // The cosine schedule peaks at its lr at the end of warmup.
    assert.ok(Math.abs(Math.max(...log.map((l) => l.lr)) - LRS[i]) < 1e-9, `run ${i} trained with lr ${LRS[i]}`);
    const status = (await api(base, `/api/runs/${run.id}`)).json;
    assert.deepEqual(status.sweep, { id, values: { 'scheduler.lr': LRS[i] } });
  }
  const listed = (await api(base, '/api/sweeps')).json.sweeps;
  assert.ok(listed.some((s: any) => s.id === id && s.runs.length === 3));
});

test('bad sweeps get a 400 naming the axis, and nothing runs', async () => {
  const before = (await api(base, '/api/runs')).json.runs.length;
  const refused = async (axes: unknown, extra: Record<string, unknown> = {}) => {
    const r = await api(base, '/api/sweeps', { json: { pipeline: smokePipeline(), executor: 'node', axes, ...extra } });
    assert.equal(r.status, 400, r.text);
    return r.json.errors as { nodeId?: string; field?: string; message: string }[];
  };
  let [e] = await refused([{ nodeId: 'scheduler', field: 'lr', values: [] }]);
  assert.deepEqual([e.nodeId, e.field], ['scheduler', 'lr']);
  [e] = await refused([{ nodeId: 'scheduler', field: 'lr', values: [1e-3, 'fast'] }]);
  assert.deepEqual([e.nodeId, e.field], ['scheduler', 'lr']);
  assert.match(e.message, /number/);
  [e] = await refused([{ nodeId: 'scheduler', field: 'speed', values: [1] }]);
  assert.match(e.message, /no param "speed"/);
  [e] = await refused([{ nodeId: 'nope', field: 'lr', values: [1] }]);
  assert.match(e.message, /no node "nope"/);
  const twice = await refused([lrAxis, lrAxis]);
  assert.ok(twice.some((x) => /swept twice/.test(x.message)));
  const seeds = Array.from({ length: 17 }, (_, i) => i + 1);
  [e] = await refused([{ nodeId: 'training', field: 'seed', values: seeds }, { nodeId: 'get_batch', field: 'seed', values: seeds }]);
  assert.match(e.message, /at most 256/);
  [e] = await refused([{ nodeId: 'model', field: 'n_heads', values: [2, 3] }]);
  assert.deepEqual([e.nodeId, e.field], ['model', 'n_heads']);
  [e] = await refused([{ nodeId: 'scheduler', field: 'lr', values: 'fast' }]);
  assert.deepEqual([e.nodeId, e.field], ['scheduler', 'lr']);
  [e] = await refused([lrAxis], { executor: 'browser' });
  assert.equal(e.field, 'executor');
  assert.equal((await api(base, '/api/runs')).json.runs.length, before, 'no run was created');
  assert.equal((await api(base, '/api/sweeps/0000000000000')).status, 404);
  assert.equal((await api(base, '/api/sweeps/../x')).status, 404);
});

test('stopping a sweep stops its points', async () => {
  const { id, runs } = (await api(base, '/api/sweeps', { json: { pipeline: smokePipeline(), axes: [lrAxis], steps: 100_000 } })).json;
  await waitFor('the first point to train', async () => (await api(base, `/api/runs/${runs[0]}`)).json.state === 'running', 60_000);
  const stopped = await api(base, `/api/sweeps/${id}/stop`, { method: 'POST' });
  assert.equal(stopped.status, 200);
  const sweep = await waitFor('every point to stop', async () => {
    const s = (await api(base, `/api/sweeps/${id}`)).json;
    return s.state === 'stopped' && s;
  }, 60_000);
  assert.deepEqual(sweep.runs.map((r: any) => r.state), ['stopped', 'stopped', 'stopped']);
});

test('a sweep survives a crash: queued points run after the restart, the interrupted one resumes', async () => {
  const runs = await tempDir('studio-sweeps-crash-');
  const data = await tempDir('studio-data-');
  const { url: first, child } = await spawnServer(runs.path, data.path);
  try {
    const created = (await api(first, '/api/sweeps', { json: { pipeline: smokePipeline(), axes: [lrAxis], steps: 30 } })).json;
    await waitFor('the first point to pass a checkpoint', async () => (await api(first, `/api/runs/${created.runs[0]}`)).json.step >= 12, 60_000);
    await killServer(child);

    const second = await createStudioServer({ port: 0, runsDir: runs.path, dataDir: data.path, next: false });
    try {
      const [interrupted, ...queued] = created.runs;
      assert.equal((await api(second.url, `/api/runs/${interrupted}`)).json.state, 'interrupted');
      await waitFor('the queued points to complete', async () => {
        const s = (await api(second.url, `/api/sweeps/${created.id}`)).json;
        return queued.every((q: string) => s.runs.find((r: any) => r.id === q).state === 'completed') && s;
      }, 120_000);
      assert.equal((await api(second.url, `/api/sweeps/${created.id}`)).json.state, 'interrupted');
      assert.equal((await api(second.url, `/api/runs/${interrupted}/resume`, { method: 'POST' })).status, 200);
      const sweep = await waitFor('the sweep to complete', async () => {
        const s = (await api(second.url, `/api/sweeps/${created.id}`)).json;
        return s.state === 'completed' && s;
      }, 120_000);
      assert.ok(sweep.runs.every((r: any) => r.step === 30));
    } finally {
      await second.close();
    }
  } finally {
    child.kill('SIGKILL');
    await runs.remove();
    await data.remove();
  }
});

test('generated and deeply nested sweep bodies get a 201 or an addressed 4xx, never a 5xx', async () => {
  const nodeIds = fc.constantFrom('scheduler', 'clip', 'model', 'training', 'get_batch', 'ghost', '', '__proto__', '../x');
  const fields = fc.constantFrom('lr', 'max_norm', 'kind', 'seed', 'steps', 'n_heads', 'constructor', '');
  const axis = fc.record({ nodeId: fc.oneof(nodeIds, anyValue), field: fc.oneof(fields, anyValue), values: fc.oneof(fc.array(anyValue, { maxLength: 5 }), anyValue) }, { requiredKeys: [] });
  const body = fc.record({ axes: fc.oneof(fc.array(axis, { maxLength: 3 }), anyValue), executor: fc.oneof(fc.constantFrom('node', 'torch', 'browser'), anyValue), steps: fc.oneof(fc.constant(1), anyValue) }, { requiredKeys: ['axes'] });
  const created: string[] = [];
  await fc.assert(fc.asyncProperty(body, async (b) => {
    const reply = await api(base, '/api/sweeps', { json: { pipeline: smokePipeline(), ...b } });
    assert.ok(reply.status === 201 || (reply.status >= 400 && reply.status < 500), `${reply.status}: ${reply.text.slice(0, 200)}`);
    if (reply.status === 201) created.push(reply.json.id);
    else assert.equal(typeof reply.json.error, 'string');
  }), { numRuns: 300, seed: 20261206 });
  for (const id of created) assert.equal((await api(base, `/api/sweeps/${id}/stop`, { method: 'POST' })).status, 200);

  const nested = `${'['.repeat(20_000)}0.001${']'.repeat(20_000)}`;
  const deep = await api(base, '/api/sweeps', { body: `{"pipeline": {}, "axes": [{"nodeId": "scheduler", "field": "lr", "values": ${nested}}]}`, headers: { 'content-type': 'application/json' } });
  assert.ok(deep.status >= 400 && deep.status < 500, `${deep.status}`);
  assert.equal((await api(base, '/api/health')).status, 200);
});
