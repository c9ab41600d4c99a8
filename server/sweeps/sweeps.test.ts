// Sweeps through the API on a real server: points become ordinary runs, grouped; bad axes are
// refused before anything runs; a stopped sweep stops its points; a sweep outlives a crash. A
// browser sweep's points wait for their tab (played here by the test), which claims and records
// them one after another; stopping the sweep reaches the tab's run and cancels the rest; a tab
// that goes away interrupts what it had not trained.
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

  const sweep = await waitFor(
    'the sweep to complete',
    async () => {
      const s = (await api(base, `/api/sweeps/${id}`)).json;
      return s.state === 'completed' && s;
    },
    120_000,
  );
  assert.deepEqual(
    sweep.runs.map((r: any) => r.id),
    runs,
  );
  assert.deepEqual(
    sweep.runs.map((r: any) => r.values['scheduler.lr']),
    LRS,
  );
  assert.deepEqual(sweep.axes, [lrAxis]);
  for (const [i, run] of sweep.runs.entries()) {
    assert.equal(run.state, 'completed');
    assert.ok(run.bestValLoss > 0 && run.bestValStep === 10, 'smoke evaluates at step 10');
    const log = (await readFile(join(runsDir, run.id, 'train_log.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
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
  [e] = await refused([
    { nodeId: 'training', field: 'seed', values: seeds },
    { nodeId: 'get_batch', field: 'seed', values: seeds },
  ]);
  assert.match(e.message, /at most 256/);
  [e] = await refused([{ nodeId: 'model', field: 'n_heads', values: [2, 3] }]);
  assert.deepEqual([e.nodeId, e.field], ['model', 'n_heads']);
  [e] = await refused([{ nodeId: 'scheduler', field: 'lr', values: 'fast' }]);
  assert.deepEqual([e.nodeId, e.field], ['scheduler', 'lr']);
  [e] = await refused([{ nodeId: 'scheduler', field: 'lr', values: [0] }], { executor: 'browser' });
  assert.deepEqual([e.nodeId, e.field], ['scheduler', 'lr'], 'a browser sweep is checked like any other');
  assert.equal((await api(base, '/api/runs')).json.runs.length, before, 'no run was created');
  assert.equal((await api(base, '/api/sweeps/0000000000000')).status, 404);
  assert.equal((await api(base, '/api/sweeps/../x')).status, 404);
});

/** What a tab posts for `steps` steps of a run at `lr`: events and train_log.jsonl lines, ending with run/finished. */
function tabBatch(lr: number, steps: number, status: 'completed' | 'stopped' = 'completed') {
  const events: any[] = [{ type: 'run/started', step: 0, data: { totalSteps: steps, backend: 'wasm', parameters: 10_000, tokensPerStep: 256 } }];
  const lines: { file: 'train_log.jsonl'; line: string }[] = [];
  for (let step = 1; step <= steps; step++) {
    const data = { loss: 5.5 - step * 0.01, lr, tokens_per_sec: 1000, step_ms: 5, elapsed_s: step * 0.005 };
    events.push({ type: 'step', step, data });
    lines.push({ file: 'train_log.jsonl', line: JSON.stringify({ step, ...data, ...(step === steps ? { val_loss: 5.4 } : {}) }) });
  }
  events.push({ type: 'run/finished', step: steps, data: { status, elapsed_s: steps * 0.005 } });
  return { seq: 1, events, lines };
}

/** The tab's claim of a sweep's point: its first word, an empty batch, before it starts training it. */
const claim = (id: string) => api(base, `/api/runs/${id}/events`, { json: { seq: 1, events: [] } });

test('a browser sweep: its points wait for the tab, which records them one after another; stop reaches the tab and cancels the rest', async () => {
  const created = await api(base, '/api/sweeps', { json: { pipeline: smokePipeline(), executor: 'browser', axes: [lrAxis], steps: 10 } });
  assert.equal(created.status, 201, created.text);
  const { id, runs } = created.json;
  assert.equal(runs.length, 3);
  for (const run of runs) {
    const status = (await api(base, `/api/runs/${run}`)).json;
    assert.deepEqual([status.executor, status.state, status.startedAt], ['browser', 'queued', undefined], 'waiting for the tab');
    assert.equal(status.totalSteps, 10);
    // Each point's pipeline is the tab's to train: its lr set, its steps overridden.
    const pipeline = (await api(base, `/api/runs/${run}/pipeline`)).json;
    assert.equal(pipeline.nodes.find((n: any) => n.id === 'scheduler').params.lr, LRS[runs.indexOf(run)]);
    assert.equal(pipeline.training.steps, 10);
  }
  assert.equal((await api(base, `/api/sweeps/${id}`)).json.state, 'running');

  // The first point: claimed, trained, recorded like any browser run.
  assert.equal((await claim(runs[0])).status, 200);
  const started = (await api(base, `/api/runs/${runs[0]}`)).json;
  assert.equal(started.state, 'running');
  assert.ok(started.startedAt, 'a point starts when its tab claims it');
  const posted = await api(base, `/api/runs/${runs[0]}/events`, { json: tabBatch(LRS[0], 10) });
  assert.equal(posted.status, 200, posted.text);
  const first = (await api(base, `/api/runs/${runs[0]}`)).json;
  assert.deepEqual([first.state, first.step, first.backend], ['completed', 10, 'wasm']);
  const log = (await api(base, `/api/runs/${runs[0]}/log`)).text
    .trim()
    .split('\n')
    .map((l: string) => JSON.parse(l));
  assert.deepEqual(
    log.map((l: any) => l.lr),
    Array(10).fill(LRS[0]),
  );

  // The second point trains when the sweep is stopped: its tab is asked to stop it, the third is cancelled.
  assert.equal((await claim(runs[1])).status, 200);
  const poll = api(base, `/api/runs/${runs[1]}/requests`);
  const stopped = await api(base, `/api/sweeps/${id}/stop`, { method: 'POST' });
  assert.equal(stopped.status, 200);
  assert.deepEqual(
    stopped.json.runs.map((r: any) => r.state),
    ['completed', 'running', 'stopped'],
  );
  assert.equal(stopped.json.state, 'running', 'until the tab has stopped its run');
  const requests = (await poll).json.requests;
  assert.deepEqual(
    requests.map((r: any) => r.kind),
    ['stop'],
  );
  const refused = await claim(runs[2]);
  assert.equal(refused.status, 409, 'a cancelled point is not trained');
  assert.match(refused.json.error, /stopped/);
  const { events } = tabBatch(LRS[1], 3, 'stopped');
  assert.equal((await api(base, `/api/runs/${runs[1]}/events`, { json: { seq: 1, events } })).status, 200);
  const sweep = (await api(base, `/api/sweeps/${id}`)).json;
  assert.equal(sweep.state, 'stopped');
  assert.deepEqual(
    sweep.runs.map((r: any) => r.state),
    ['completed', 'stopped', 'stopped'],
  );
  assert.equal(sweep.runs[0].bestValLoss, 5.4);
});

test('a browser sweep whose tab goes away: the points it had not trained are interrupted', async () => {
  const { id, runs } = (await api(base, '/api/sweeps', { json: { pipeline: smokePipeline(), executor: 'browser', axes: [lrAxis], steps: 10 } })).json;
  assert.equal((await claim(runs[0])).status, 200);
  // The page goes: its last word.
  const closing = await api(base, `/api/runs/${runs[0]}/events`, { json: { seq: 1, events: [], closing: true } });
  assert.equal(closing.status, 200);
  const sweep = (await api(base, `/api/sweeps/${id}`)).json;
  assert.deepEqual(
    sweep.runs.map((r: any) => r.state),
    ['interrupted', 'interrupted', 'interrupted'],
  );
  assert.equal(sweep.state, 'interrupted');
  // An interrupted point resumes on the server like any interrupted browser run.
  const resumed = await api(base, `/api/runs/${runs[1]}/resume`, { method: 'POST' });
  assert.equal(resumed.status, 200, resumed.text);
  assert.equal(resumed.json.executor, 'node');
  await waitFor('the resumed point to complete', async () => (await api(base, `/api/runs/${runs[1]}`)).json.state === 'completed', 60_000);
});

test('a browser sweep no tab claims is interrupted once the tab is silent too long, and a server restart interrupts its waiting points', async () => {
  const runs = await tempDir('studio-sweeps-idle-');
  const data = await tempDir('studio-data-');
  let idle = await createStudioServer({ port: 0, runsDir: runs.path, dataDir: data.path, next: false, browserIdleMs: 1500 });
  try {
    const silent = (await api(idle.url, '/api/sweeps', { json: { pipeline: smokePipeline(), executor: 'browser', axes: [lrAxis], steps: 10 } })).json;
    const s = await waitFor(
      'the waiting points to be interrupted',
      async () => {
        const sweep = (await api(idle.url, `/api/sweeps/${silent.id}`)).json;
        return sweep.state === 'interrupted' && sweep;
      },
      10_000,
    );
    assert.deepEqual(
      s.runs.map((r: any) => r.state),
      ['interrupted', 'interrupted', 'interrupted'],
    );

    const waiting = (await api(idle.url, '/api/sweeps', { json: { pipeline: smokePipeline(), executor: 'browser', axes: [lrAxis], steps: 10 } })).json;
    await idle.close();
    idle = await createStudioServer({ port: 0, runsDir: runs.path, dataDir: data.path, next: false, browserIdleMs: 1500 });
    const after = (await api(idle.url, `/api/sweeps/${waiting.id}`)).json;
    assert.deepEqual(
      after.runs.map((r: any) => r.state),
      ['interrupted', 'interrupted', 'interrupted'],
      'nothing starts them on the server',
    );
    // The tab that launched it is still there: its next claim takes the point up again.
    assert.equal((await api(idle.url, `/api/runs/${waiting.runs[0]}/events`, { json: { seq: 1, events: [] } })).status, 200);
    assert.equal((await api(idle.url, `/api/runs/${waiting.runs[0]}`)).json.state, 'running');
  } finally {
    await idle.close();
    await runs.remove();
    await data.remove();
  }
});

test('stopping a sweep stops its points', async () => {
  const { id, runs } = (await api(base, '/api/sweeps', { json: { pipeline: smokePipeline(), axes: [lrAxis], steps: 100_000 } })).json;
  await waitFor('the first point to train', async () => (await api(base, `/api/runs/${runs[0]}`)).json.state === 'running', 60_000);
  const stopped = await api(base, `/api/sweeps/${id}/stop`, { method: 'POST' });
  assert.equal(stopped.status, 200);
  const sweep = await waitFor(
    'every point to stop',
    async () => {
      const s = (await api(base, `/api/sweeps/${id}`)).json;
      return s.state === 'stopped' && s;
    },
    60_000,
  );
  assert.deepEqual(
    sweep.runs.map((r: any) => r.state),
    ['stopped', 'stopped', 'stopped'],
  );
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
      await waitFor(
        'the queued points to complete',
        async () => {
          const s = (await api(second.url, `/api/sweeps/${created.id}`)).json;
          return queued.every((q: string) => s.runs.find((r: any) => r.id === q).state === 'completed') && s;
        },
        120_000,
      );
      assert.equal((await api(second.url, `/api/sweeps/${created.id}`)).json.state, 'interrupted');
      assert.equal((await api(second.url, `/api/runs/${interrupted}/resume`, { method: 'POST' })).status, 200);
      const sweep = await waitFor(
        'the sweep to complete',
        async () => {
          const s = (await api(second.url, `/api/sweeps/${created.id}`)).json;
          return s.state === 'completed' && s;
        },
        120_000,
      );
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
  const axis = fc.record(
    { nodeId: fc.oneof(nodeIds, anyValue), field: fc.oneof(fields, anyValue), values: fc.oneof(fc.array(anyValue, { maxLength: 5 }), anyValue) },
    { requiredKeys: [] },
  );
  const body = fc.record(
    {
      axes: fc.oneof(fc.array(axis, { maxLength: 3 }), anyValue),
      executor: fc.oneof(fc.constantFrom('node', 'torch', 'browser'), anyValue),
      steps: fc.oneof(fc.constant(1), anyValue),
    },
    { requiredKeys: ['axes'] },
  );
  const created: string[] = [];
  await fc.assert(
    fc.asyncProperty(body, async (b) => {
      const reply = await api(base, '/api/sweeps', { json: { pipeline: smokePipeline(), ...b } });
      assert.ok(reply.status === 201 || (reply.status >= 400 && reply.status < 500), `${reply.status}: ${reply.text.slice(0, 200)}`);
      if (reply.status === 201) created.push(reply.json.id);
      else assert.equal(typeof reply.json.error, 'string');
    }),
    { numRuns: 300, seed: 20261206 },
  );
  for (const id of created) assert.equal((await api(base, `/api/sweeps/${id}/stop`, { method: 'POST' })).status, 200);

  const nested = `${'['.repeat(20_000)}0.001${']'.repeat(20_000)}`;
  const deep = await api(base, '/api/sweeps', {
    body: `{"pipeline": {}, "axes": [{"nodeId": "scheduler", "field": "lr", "values": ${nested}}]}`,
    headers: { 'content-type': 'application/json' },
  });
  assert.ok(deep.status >= 400 && deep.status < 500, `${deep.status}`);
  assert.equal((await api(base, '/api/health')).status, 200);
});
