// The server end to end, without Next: a real HTTP server on a free port, real run workers
// training the smoke pipeline, and real socket.io clients.
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { decodeSafetensors } from '../engine/checkpoint/safetensors';
import { createStudioServer, type StudioServer } from './app';
import { api, finalStatus, smokePipeline, tempDir, waitFor, Watcher } from './test-support';

let server: StudioServer;
let base: string;
let dirs: Awaited<ReturnType<typeof tempDir>>[] = [];
let runsDir: string;

before(async () => {
  const runs = await tempDir('studio-runs-');
  const data = await tempDir('studio-data-');
  dirs = [runs, data];
  runsDir = runs.path;
  server = await createStudioServer({ port: 0, runsDir: runs.path, dataDir: data.path, next: false });
  base = server.url;
});

after(async () => {
  await server.close();
  for (const d of dirs) await d.remove();
});

test('health, unknown routes and runs, and malformed requests', async () => {
  const health = await api(base, '/api/health');
  assert.equal(health.status, 200);
  assert.equal(health.json.ok, true);

  assert.equal((await api(base, '/api/nothing')).status, 404);
  const unknown = await api(base, '/api/runs/0000000000000');
  assert.equal(unknown.status, 404);
  assert.match(unknown.json.error, /no run/);
  assert.equal((await api(base, '/api/runs/..%2F..%2Fetc')).status, 404);
  assert.equal((await api(base, '/api/runs', { method: 'DELETE' })).status, 405);

  const notJson = await api(base, '/api/runs', { body: '{"pipeline": ', headers: { 'content-type': 'application/json' } });
  assert.equal(notJson.status, 400);
  assert.match(notJson.json.error, /not valid JSON/);
  const form = await api(base, '/api/runs', { body: 'pipeline=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(form.status, 415);
  const huge = await api(base, '/api/runs', { json: { pipeline: { padding: 'x'.repeat(3 * 1024 * 1024) } } });
  assert.equal(huge.status, 413);
  const noPipeline = await api(base, '/api/runs', { json: { steps: 3 } });
  assert.equal(noPipeline.status, 400);
  assert.equal(noPipeline.json.errors[0].field, 'pipeline');

  // fetch() will not fake a Host header; node:http will.
  const statusWith = (headers: Record<string, string>) =>
    new Promise<number>((resolve, reject) => {
      request(`${base}/api/health`, { headers }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      })
        .on('error', reject)
        .end();
    });
  assert.equal(await statusWith({ host: 'evil.example' }), 403, 'a Host that is not localhost is refused (DNS rebinding)');
  assert.equal(await statusWith({ origin: 'https://evil.example' }), 403, "so is another site's page");
  assert.equal(await statusWith({ origin: base }), 200);
});

test('socket messages are validated', async () => {
  const watcher = new Watcher(base, 'x');
  const ask = (message: unknown) => new Promise<any>((resolve) => watcher.socket.emit('subscribe', message, resolve));
  try {
    assert.deepEqual(await ask({ runId: '../../etc' }), { ok: false, error: 'runId: not a run id' });
    assert.deepEqual(await ask({ runId: '0000000000000', after: -1 }), { ok: false, error: 'after: Too small: expected number to be >=0' });
    assert.deepEqual(await ask('hello'), { ok: false, error: 'message: Invalid input: expected object, received string' });
    assert.deepEqual(await ask({ runId: '0000000000000' }), { ok: false, error: 'no run 0000000000000' });
  } finally {
    watcher.close();
  }
});

test('a pipeline with errors gets per-node errors and starts nothing', async () => {
  const before = await readdir(runsDir);
  const bad = smokePipeline((doc) => {
    doc.nodes.find((n: any) => n.id === 'model').params.d_model = 30; // head size 15: RoPE needs it even
    doc.nodes.find((n: any) => n.id === 'get_batch').params.batch_size = 0;
    doc.edges = doc.edges.filter((e: any) => e.target !== 'loss' || e.targetHandle !== 'targets');
  });
  const response = await api(base, '/api/runs', { json: { pipeline: bad, executor: 'node' } });
  assert.equal(response.status, 400);
  // The model's problem is on its attention block inside (pipeline format 3): innerNodeId attn.
  assert.ok(
    response.json.errors.some((e: any) => e.nodeId === 'model' && e.innerNodeId === 'attn'),
    JSON.stringify(response.json.errors),
  );
  const errors = response.json.errors.map((e: any) => [e.nodeId, e.field]);
  assert.deepEqual(
    errors.sort(),
    [
      ['get_batch', 'batch_size'],
      ['loss', 'targets'],
      ['model', 'attn.n_heads'],
    ].sort(),
    JSON.stringify(response.json.errors),
  );
  for (const e of response.json.errors) assert.equal(typeof e.message, 'string');
  assert.deepEqual(await readdir(runsDir), before);
  assert.equal((await api(base, '/api/runs')).json.runs.length, before.length);
});

test('a run streams ordered events, then its history, log and checkpoints are served', async () => {
  const submitted = await api(base, '/api/runs', { json: { pipeline: smokePipeline(), executor: 'node', backend: 'cpu' } });
  assert.equal(submitted.status, 201);
  const { id } = submitted.json;
  assert.match(id, /^[0-9a-z]{13}$/);

  const live = new Watcher(base, id);
  const ack = await live.subscribe();
  assert.equal(ack.ok, true);
  await waitFor('the run to finish', () => live.finished());
  live.close();
  assert.deepEqual(live.problems, []);
  const types = live.events.map((e) => e.type);
  assert.equal(types[0], 'run/started');
  assert.equal(types.at(-1), 'run/finished');
  assert.deepEqual(
    live.events.filter((e) => e.type === 'step').map((e) => e.step),
    Array.from({ length: 20 }, (_, i) => i + 1),
  );
  assert.ok(live.events.every((e) => e.runId === id));
  // Within a step: node metrics (loss on the loss node) come before the step summary.
  const lossAt5 = live.events.findIndex((e) => e.type === 'node/metrics' && e.nodeId === 'loss' && e.step === 5);
  const step5 = live.events.findIndex((e) => e.type === 'step' && e.step === 5);
  assert.ok(lossAt5 >= 0 && lossAt5 < step5);
  const losses = live.events.filter((e) => e.type === 'step').map((e) => (e.data as { loss: number }).loss);
  assert.ok(losses.at(-1)! < losses[0] - 0.5, `loss falls on cpu: ${losses[0]} -> ${losses.at(-1)}`);

  const status = await finalStatus(base, id);
  assert.equal(status.state, 'completed');
  assert.equal(status.step, 20);
  assert.equal(status.metrics.loss, losses.at(-1));
  assert.equal(typeof status.metrics.val_loss, 'number');
  assert.equal(status.lastSeq, live.lastSeq);
  const listed = (await api(base, '/api/runs')).json.runs.find((r: any) => r.id === id);
  assert.equal(listed.state, 'completed');
  assert.equal(listed.metrics.loss, losses.at(-1));

  // A later watcher gets the same history; so does the HTTP replay, also from a seq on.
  const late = new Watcher(base, id);
  await late.subscribe();
  late.close();
  assert.deepEqual(late.events, live.events);
  const replay = await api(base, `/api/runs/${id}/events?after=10`);
  assert.match(replay.headers.get('content-type')!, /application\/x-ndjson/);
  assert.deepEqual(
    replay.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l)),
    live.events.slice(10),
  );

  const log = await api(base, `/api/runs/${id}/log`);
  assert.match(log.headers.get('content-type')!, /application\/x-ndjson/);
  assert.deepEqual(
    log.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).step),
    Array.from({ length: 20 }, (_, i) => i + 1),
  );
  const folder = await readdir(join(runsDir, id));
  for (const f of ['pipeline.json', 'plan.json', 'train_log.jsonl', 'samples.jsonl', 'status.json', 'events.jsonl', 'checkpoints'])
    assert.ok(folder.includes(f), f);

  const checkpoints = (await api(base, `/api/runs/${id}/checkpoints`)).json.checkpoints;
  assert.deepEqual(
    checkpoints.map((c: any) => c.name),
    ['ckpt-000010', 'ckpt-000020'],
  );
  const download = await fetch(`${base}/api/runs/${id}/checkpoints/ckpt-000020`);
  assert.equal(download.status, 200);
  assert.match(download.headers.get('content-disposition')!, /attachment; filename="[0-9a-z]+-ckpt-000020.safetensors"/);
  const bytes = new Uint8Array(await download.arrayBuffer());
  assert.deepEqual(bytes, new Uint8Array(await readFile(join(runsDir, id, 'checkpoints', 'ckpt-000020.safetensors'))));
  assert.ok(decodeSafetensors(bytes).tensors.has('wte'));
  const meta = await api(base, `/api/runs/${id}/checkpoints/ckpt-000020.json`);
  assert.equal(meta.json.step, 20);
  for (const bad of ['..%2Fstatus.json', '.hidden', 'ckpt-000020.tmp-abc', '%2E%2E']) {
    const r = await api(base, `/api/runs/${id}/checkpoints/${bad}`);
    assert.ok(r.status === 400 || r.status === 404, `${bad}: ${r.status}`);
  }
  assert.equal((await api(base, `/api/runs/${id}/checkpoints/ckpt-000005`)).status, 404);
});

test('watchers that reconnect mid-run get every event exactly once', async () => {
  const { id } = (await api(base, '/api/runs', { json: { pipeline: smokePipeline(), steps: 150 } })).json;
  const first = new Watcher(base, id);
  const steady = new Watcher(base, id);
  await Promise.all([first.subscribe(), steady.subscribe()]);
  await waitFor('some steps', () => first.events.some((e) => e.type === 'step' && e.step >= 5));
  first.close(); // a page reload
  const seen = first.events.slice();
  await new Promise((r) => setTimeout(r, 200));
  const again = new Watcher(base, id, first.lastSeq); // reconnects with the last seq it has
  const late = new Watcher(base, id); // a third browser, from scratch
  await Promise.all([again.subscribe(), late.subscribe()]);
  assert.equal((await api(base, `/api/runs/${id}`)).json.state, 'running', 'they joined mid-run');
  await waitFor('the run to finish', () => again.finished() && late.finished() && steady.finished());
  for (const w of [again, late, steady]) w.close();

  const joined = [...seen, ...again.events];
  assert.deepEqual(again.problems, []);
  assert.deepEqual(
    joined.map((e) => e.seq),
    Array.from({ length: joined.length }, (_, i) => i + 1),
  );
  assert.deepEqual(joined, steady.events);
  assert.deepEqual(late.events, steady.events);
  assert.deepEqual(steady.problems, []);
});

test('pause, resume and stop; a second run waits in the queue meanwhile', async () => {
  const { id } = (await api(base, '/api/runs', { json: { pipeline: smokePipeline(), steps: 2000 } })).json;
  const watcher = new Watcher(base, id);
  await watcher.subscribe();
  await waitFor('a few steps', () => watcher.events.some((e) => e.type === 'step' && e.step >= 3));

  assert.equal((await api(base, `/api/runs/${id}/pause`, { method: 'POST' })).json.state, 'paused');
  const stepNow = () => watcher.events.filter((e) => e.type === 'step').at(-1)!.step!;
  // The step in flight ends and reaches us; then nothing more.
  const pausedAt = await waitFor('the step in flight', async () => {
    const seen = stepNow();
    await new Promise((r) => setTimeout(r, 300));
    return stepNow() === seen && seen;
  });
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(stepNow(), pausedAt, 'no steps while paused');
  assert.equal((await api(base, `/api/runs/${id}`)).json.state, 'paused');

  const queued = (await api(base, '/api/runs', { json: { pipeline: smokePipeline(), steps: 2 } })).json.id;
  assert.equal((await api(base, `/api/runs/${queued}`)).json.state, 'queued', 'one run at a time');

  assert.equal((await api(base, `/api/runs/${id}/resume`, { method: 'POST' })).json.state, 'running');
  await waitFor('steps after resuming', () => stepNow() >= pausedAt + 3);

  await api(base, `/api/runs/${id}/stop`, { method: 'POST' });
  const finished = await waitFor('the stop', () => watcher.finished());
  watcher.close();
  assert.equal((finished.data as { status: string }).status, 'stopped');
  const status = await waitFor('state stopped', async () => {
    const s = (await api(base, `/api/runs/${id}`)).json;
    return s.state === 'stopped' && s;
  });
  assert.ok(status.step < 2000 && status.step === finished.step);
  assert.deepEqual(watcher.problems, []);
  assert.equal((await api(base, `/api/runs/${id}/pause`, { method: 'POST' })).status, 409);

  await waitFor('the queued run to run', async () => (await api(base, `/api/runs/${queued}`)).json.state === 'completed');
});

test('a run that diverges stops with an error on the loss node; its last good checkpoint downloads', async () => {
  // SGD at lr 10 without clipping blows up within ~20 steps on cpu (NaN loss).
  const pipeline = smokePipeline((doc) => {
    doc.nodes = doc.nodes.filter((n: any) => n.id !== 'clip');
    doc.edges = doc.edges.filter((e: any) => e.source !== 'clip' && e.target !== 'clip');
    doc.edges.push({ id: 'backward.grads->optimizer.grads', source: 'backward', sourceHandle: 'grads', target: 'optimizer', targetHandle: 'grads' });
    for (const n of doc.nodes) {
      if (n.id === 'scheduler') n.params = { kind: 'constant', lr: 10, min_lr: 0, warmup_steps: 0 };
      if (n.id === 'optimizer') n.params = { kind: 'sgd', weight_decay: 0, momentum: 0.9 };
      if (n.id === 'model') n.params.norm = 'layernorm';
      if (n.id === 'checkpoint') n.params = { every: 1, keep_last: 2 };
    }
  });
  const { id } = (await api(base, '/api/runs', { json: { pipeline, backend: 'cpu', steps: 60 } })).json;
  const watcher = new Watcher(base, id);
  await watcher.subscribe();
  const finished = await waitFor('the run to end', () => watcher.finished());
  watcher.close();
  assert.equal((finished.data as { status: string }).status, 'failed');
  const error = watcher.events.find((e) => e.type === 'error')!;
  assert.equal(error.nodeId, 'loss');
  assert.match((error.data as { message: string }).message, /loss is (NaN|-?Infinity)/);

  const status = await waitFor('state failed', async () => {
    const s = (await api(base, `/api/runs/${id}`)).json;
    return s.state === 'failed' && s;
  });
  assert.equal(status.error.nodeId, 'loss');
  assert.ok(status.step > 0 && status.step < 60);
  assert.equal(status.lastCheckpoint, `ckpt-${String(status.step).padStart(6, '0')}`, 'saved after the last good step');
  const meta = await api(base, `/api/runs/${id}/checkpoints/${status.lastCheckpoint}.json`);
  assert.equal(meta.json.step, status.step);
  const weights = new Uint8Array(await (await fetch(`${base}/api/runs/${id}/checkpoints/${status.lastCheckpoint}.safetensors`)).arrayBuffer());
  const { tensors } = decodeSafetensors(weights);
  for (const [name, t] of tensors) {
    if (t.dtype !== 'F32') continue;
    assert.ok(new Float32Array(t.data.slice().buffer).every(Number.isFinite), `${name} is finite`);
  }
});

test('a worker that cannot train (backend missing) fails the run with an error event', async (t) => {
  try {
    await import('@tensorflow/tfjs-node' as string);
    t.skip('@tensorflow/tfjs-node is installed here');
    return;
  } catch {
    // expected: the optional package is absent
  }
  const { id } = (await api(base, '/api/runs', { json: { pipeline: smokePipeline(), steps: 2, backend: 'tensorflow' } })).json;
  const watcher = new Watcher(base, id);
  await watcher.subscribe();
  const finished = await waitFor('the run to end', () => watcher.finished());
  watcher.close();
  assert.equal((finished.data as { status: string }).status, 'failed');
  assert.match((watcher.events.find((e) => e.type === 'error')!.data as { message: string }).message, /tfjs-node/);
  const status = await waitFor('state failed', async () => {
    const s = (await api(base, `/api/runs/${id}`)).json;
    return s.state === 'failed' && s;
  });
  assert.match(status.error.message, /tfjs-node/);
});
