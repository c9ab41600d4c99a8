// Browser runs recorded by the server: the tab's side is played by this test, which posts the
// events, log lines and checkpoints of a real node run (the smoke pipeline) as a tab would. The
// server stores each batch once and in order, refuses gaps, bad events and the wrong runs, streams
// and lists the run like any other, serves its checkpoints, interrupts it when its tab goes silent
// or the server restarts, and continues it on the node executor when it is resumed.
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { RunEvent } from '../engine/events';
import { createStudioServer, type StudioServer } from './app';
import { META_LENGTH_HEADER } from './checkpoint-upload';
import { api, finalStatus, smokePipeline, tempDir, waitFor, Watcher } from './test-support';

/** How long a browser run may be silent: long on the main server, short where a test waits for it. */
const IDLE_MS = 10_000;
const SHORT_IDLE_MS = 1500;

let server: StudioServer;
let dirs: Awaited<ReturnType<typeof tempDir>>[] = [];
let dataDir: string;
let runsDir: string;

/** A finished node run of the smoke pipeline: what a tab training it would post. */
let reference: {
  id: string;
  events: RunEvent[];
  lines: { file: 'train_log.jsonl' | 'samples.jsonl'; line: string }[];
  logText: string;
  samplesText: string;
  checkpoints: Map<string, { meta: Uint8Array; weights: Uint8Array }>;
};

interface Batch {
  seq: number;
  events: RunEvent[];
  lines: { file: string; line: string }[];
  /** Checkpoints whose checkpoint/saved is in this batch: the tab uploads them before it. */
  checkpoints: string[];
}

/** The reference run cut into batches of `size` events; lines go with the batch that reaches their step. */
function batches(size: number): Batch[] {
  const out: Batch[] = [];
  let lineAt = 0;
  for (let i = 0; i < reference.events.length; i += size) {
    const events = reference.events.slice(i, i + size);
    const last = i + size >= reference.events.length;
    const upTo = Math.max(...events.map((e) => e.step ?? 0));
    const lines = [];
    while (lineAt < reference.lines.length && (last || (JSON.parse(reference.lines[lineAt].line) as { step: number }).step <= upTo))
      lines.push(reference.lines[lineAt++]);
    const checkpoints = events.flatMap((e) => (e.type === 'checkpoint/saved' ? [e.data.name] : []));
    out.push({ seq: i + 1, events, lines, checkpoints });
  }
  return out;
}

async function bytesOf(base: string, path: string): Promise<Uint8Array> {
  const response = await fetch(base + path);
  assert.equal(response.status, 200, path);
  return new Uint8Array(await response.arrayBuffer());
}

/** POST /api/runs/:id/checkpoints with the reference run's checkpoint `name`. */
async function uploadCheckpoint(base: string, id: string, name: string) {
  const { meta, weights } = reference.checkpoints.get(name)!;
  const body = new Uint8Array(meta.length + weights.length);
  body.set(meta, 0);
  body.set(weights, meta.length);
  const response = await fetch(`${base}/api/runs/${id}/checkpoints?name=${name}`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/octet-stream', [META_LENGTH_HEADER]: String(meta.length) },
  });
  return { status: response.status, json: (await response.json()) as any };
}

/** What a tab does with one batch: its checkpoints first (their replies go to `uploads`), then the events. */
async function post(base: string, id: string, batch: Batch, extra: { paused?: boolean } = {}, uploads: any[] = []) {
  for (const name of batch.checkpoints) {
    const uploaded = await uploadCheckpoint(base, id, name);
    assert.equal(uploaded.status, 201, JSON.stringify(uploaded.json));
    uploads.push(uploaded.json);
  }
  return api(base, `/api/runs/${id}/events`, { json: { seq: batch.seq, events: batch.events, lines: batch.lines, ...extra } });
}

const status = async (base: string, id: string) => (await api(base, `/api/runs/${id}`)).json;
const createBrowserRun = (base: string, pipeline: unknown, backend?: string) =>
  api(base, '/api/runs', { json: { pipeline, executor: 'browser', ...(backend ? { backend } : {}) } });

before(async () => {
  const runs = await tempDir('studio-runs-');
  const data = await tempDir('studio-data-');
  dirs = [runs, data];
  runsDir = runs.path;
  dataDir = data.path;
  server = await createStudioServer({ port: 0, runsDir, dataDir, next: false, browserIdleMs: IDLE_MS });
  const { id } = (await api(server.url, '/api/runs', { json: { pipeline: smokePipeline() } })).json;
  const watcher = new Watcher(server.url, id);
  await watcher.subscribe();
  await waitFor('the reference run to end', () => watcher.finished(), 60_000);
  watcher.close();
  const logText = (await api(server.url, `/api/runs/${id}/log`)).text;
  const samplesText = (await api(server.url, `/api/runs/${id}/samples`)).text;
  const toLines = (file: 'train_log.jsonl' | 'samples.jsonl', text: string) =>
    text
      .trim()
      .split('\n')
      .map((line) => ({ file, line }));
  // In step order, as the log and sample nodes write them.
  const lines = [...toLines('train_log.jsonl', logText), ...toLines('samples.jsonl', samplesText)].sort(
    (a, b) => JSON.parse(a.line).step - JSON.parse(b.line).step,
  );
  const checkpoints = new Map<string, { meta: Uint8Array; weights: Uint8Array }>();
  for (const name of ['ckpt-000010', 'ckpt-000020']) {
    checkpoints.set(name, {
      meta: await bytesOf(server.url, `/api/runs/${id}/checkpoints/${name}.json`),
      weights: await bytesOf(server.url, `/api/runs/${id}/checkpoints/${name}.safetensors`),
    });
  }
  reference = { id, events: watcher.events.map(({ runId: _, seq: __, ...event }) => event as RunEvent), lines, logText, samplesText, checkpoints };
  assert.equal(reference.events.filter((e) => e.type === 'step').length, 20);
});

after(async () => {
  await server.close();
  for (const d of dirs) await d.remove();
});

test('creating a browser run compiles it and starts nothing; bad submissions are refused', async () => {
  const created = await createBrowserRun(server.url, smokePipeline(), 'webgpu');
  assert.equal(created.status, 201, created.text);
  const { id } = created.json;
  const s = await status(server.url, id);
  assert.deepEqual([s.state, s.executor, s.backend, s.step, s.totalSteps, s.lastSeq], ['running', 'browser', 'webgpu', 0, 20, 0]);
  assert.ok(s.startedAt);
  await waitFor('status.json', async () => (await readdir(join(runsDir, id))).includes('status.json'));
  assert.deepEqual(
    (await readdir(join(runsDir, id))).filter((f) => !f.includes('.tmp-')).sort(),
    ['pipeline.json', 'plan.json', 'status.json'],
    'no events yet, no worker output',
  );
  // It holds no training slot: a node run submitted now starts at once.
  const node = (await api(server.url, '/api/runs', { json: { pipeline: smokePipeline(), steps: 2 } })).json.id;
  await waitFor('the node run to start', async () => (await status(server.url, node)).state !== 'queued' || undefined);

  const broken = await createBrowserRun(
    server.url,
    smokePipeline((doc) => (doc.nodes.find((n: any) => n.id === 'model').params.n_heads = 3)),
  );
  assert.equal(broken.status, 400);
  assert.equal(broken.json.error, 'the pipeline has errors');
  assert.ok(
    broken.json.errors.some((e: any) => e.nodeId === 'model'),
    JSON.stringify(broken.json.errors),
  );
  const refused: [body: object, field: string][] = [
    [{ executor: 'browser', resume: { upload: '0000000000000' } }, 'resume.upload'],
    [{ executor: 'browser', backend: 'tensorflow' }, 'backend'],
    [{ executor: 'node', backend: 'webgpu' }, 'backend'],
    [{ executor: 'browser', torch: { nproc: 1 } }, 'torch'],
  ];
  for (const [body, field] of refused) {
    const reply = await api(server.url, '/api/runs', { json: { pipeline: smokePipeline(), ...body } });
    assert.equal(reply.status, 400, JSON.stringify(body));
    assert.ok(
      reply.json.errors.some((e: any) => e.field === field),
      `${JSON.stringify(body)}: ${reply.text}`,
    );
  }
});

test('a tab posts its run: stored once and in order, streamed, listed, its checkpoints kept as keep_last says', async () => {
  // keep_last 1 here (the reference kept 2): the server prunes as the run's checkpoint node says.
  const pipeline = smokePipeline((doc) => (doc.nodes.find((n: any) => n.id === 'checkpoint').params.keep_last = 1));
  const { id } = (await createBrowserRun(server.url, pipeline)).json;
  const watcher = new Watcher(server.url, id);
  await watcher.subscribe();
  const all = batches(40);
  assert.ok(all.length >= 6);
  const [first, second, third] = all;
  const uploads: any[] = [];

  const stored = await post(server.url, id, first, {}, uploads);
  assert.equal(stored.status, 200, stored.text);
  assert.deepEqual(stored.json, { lastSeq: first.events.length, stored: first.events.length });
  // The same batch again (its reply was lost): acknowledged, not stored twice.
  assert.deepEqual((await post(server.url, id, first)).json, { lastSeq: first.events.length, stored: 0 });
  // A batch after a lost one: refused, naming the seq expected.
  const gap = await post(server.url, id, { ...third, checkpoints: [] });
  assert.equal(gap.status, 409);
  assert.equal(gap.json.expectedSeq, second.seq);
  assert.match(gap.json.error, new RegExp(`expects its next batch to start at seq ${second.seq}, not ${third.seq}`));
  // Events are the engine's, checked field by field.
  const bad = await api(server.url, `/api/runs/${id}/events`, { json: { seq: second.seq, events: [{ type: 'step', step: 1, data: { loss: 'low' } }] } });
  assert.equal(bad.status, 400);
  assert.ok(
    bad.json.errors.some((e: any) => e.field === 'events.0.data.loss'),
    bad.text,
  );
  // The model's inside view is posted like any event (the reference run has one at steps 1 and 20) and checked as well.
  assert.deepEqual(
    reference.events.flatMap((e) => (e.type === 'model/insides' ? [[e.step, e.nodeId, e.data.layers]] : [])),
    [
      [1, 'model', 1],
      [20, 'model', 1],
    ],
  );
  const badInsides = await api(server.url, `/api/runs/${id}/events`, {
    json: { seq: second.seq, events: [{ type: 'model/insides', nodeId: 'model', step: 1, data: { layers: 1, blocks: { attn: { act_rms: ['high'] } } } }] },
  });
  assert.equal(badInsides.status, 400);
  assert.ok(
    badInsides.json.errors.some((e: any) => e.field === 'events.0.data.blocks.attn.act_rms.0'),
    badInsides.text,
  );
  const tooManyLayers = await api(server.url, `/api/runs/${id}/events`, {
    json: {
      seq: second.seq,
      events: [{ type: 'model/insides', nodeId: 'model', step: 1, data: { layers: 1, blocks: { attn: { act_rms: new Array(1025).fill(1) } } } }],
    },
  });
  assert.equal(tooManyLayers.status, 400, 'at most 1024 layers');
  const unknown = await api(server.url, `/api/runs/${id}/events`, { json: { seq: second.seq, events: [{ type: 'run/exploded', step: 1, data: {} }] } });
  assert.equal(unknown.status, 400);
  const badLine = await api(server.url, `/api/runs/${id}/events`, {
    json: { seq: second.seq, events: second.events, lines: [{ file: 'train_log.jsonl', line: 'not json' }] },
  });
  assert.equal(badLine.status, 400);
  assert.ok(
    badLine.json.errors.some((e: any) => e.field === 'lines.0.line'),
    badLine.text,
  );
  const badFile = await api(server.url, `/api/runs/${id}/events`, {
    json: { seq: second.seq, events: second.events, lines: [{ file: '../status.json', line: '{"step":1}' }] },
  });
  assert.equal(badFile.status, 400);
  // The tab owns pause, resume and stop.
  for (const action of ['pause', 'resume', 'stop']) {
    const reply = await api(server.url, `/api/runs/${id}/${action}`, { method: 'POST' });
    assert.equal(reply.status, 409, action);
    assert.match(reply.json.error, new RegExp(`trains in a browser tab: ${action} it there`));
  }
  // Node runs take no events and no checkpoints from clients.
  const toNode = await api(server.url, `/api/runs/${reference.id}/events`, { json: { seq: 1, events: first.events } });
  assert.equal(toNode.status, 409);
  assert.match(toNode.json.error, /is a node run: only a browser run takes events/);
  assert.equal((await uploadCheckpoint(server.url, reference.id, 'ckpt-000010')).status, 409);

  // The tab paused: a heartbeat says so; the next batch says it runs again.
  assert.equal((await post(server.url, id, { ...second, events: [], lines: [], checkpoints: [] }, { paused: true })).status, 200);
  assert.equal((await status(server.url, id)).state, 'paused');
  assert.equal((await post(server.url, id, second, { paused: false }, uploads)).status, 200);
  assert.equal((await status(server.url, id)).state, 'running');
  for (const batch of all.slice(2)) {
    const reply = await post(server.url, id, batch, {}, uploads);
    assert.equal(reply.status, 200, reply.text);
  }
  assert.deepEqual(
    uploads.map((u) => [u.name, u.step, u.removed]),
    [
      ['ckpt-000010', 10, []],
      ['ckpt-000020', 20, ['ckpt-000010']],
    ],
  );

  const done = await status(server.url, id);
  const lastStep = reference.events.filter((e) => e.type === 'step').at(-1)! as Extract<RunEvent, { type: 'step' }>;
  assert.equal(done.state, 'completed');
  assert.deepEqual(
    [done.step, done.lastSeq, done.lastCheckpoint, done.metrics.loss, done.backend],
    [20, reference.events.length, 'ckpt-000020', lastStep.data.loss, 'wasm'],
  );
  assert.ok(done.finishedAt);
  // The stream: live to the watcher, and replayed whole to a late one, in order, as posted.
  const expected = reference.events.map((e, i) => ({ runId: id, seq: i + 1, ...e }));
  await waitFor('the watcher to see the end', () => watcher.finished());
  watcher.close();
  assert.deepEqual(watcher.problems, []);
  assert.deepEqual(watcher.events, expected);
  const late = new Watcher(server.url, id);
  const ack = await late.subscribe();
  late.close();
  assert.equal(ack.status.state, 'completed');
  assert.deepEqual(late.events, expected);
  const history = (await api(server.url, `/api/runs/${id}/events`)).text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(history, expected);
  assert.equal((await api(server.url, `/api/runs/${id}/log`)).text, reference.logText);
  assert.equal((await api(server.url, `/api/runs/${id}/samples`)).text, reference.samplesText);
  const listed = (await api(server.url, '/api/runs')).json.runs.find((r: any) => r.id === id);
  assert.deepEqual([listed.executor, listed.state, listed.step], ['browser', 'completed', 20]);
  // Its checkpoints download like a node run's.
  assert.deepEqual(
    (await api(server.url, `/api/runs/${id}/checkpoints`)).json.checkpoints.map((c: any) => c.name),
    ['ckpt-000020'],
  );
  assert.deepEqual(await bytesOf(server.url, `/api/runs/${id}/checkpoints/ckpt-000020`), reference.checkpoints.get('ckpt-000020')!.weights);
  assert.equal(JSON.parse(new TextDecoder().decode(await bytesOf(server.url, `/api/runs/${id}/checkpoints/ckpt-000020.json`))).step, 20);

  // The end is the end: the last batch again is a duplicate; anything new is refused.
  const final = all.at(-1)!;
  assert.deepEqual((await post(server.url, id, { ...final, checkpoints: [] })).json, { lastSeq: reference.events.length, stored: 0 });
  const more = await api(server.url, `/api/runs/${id}/events`, { json: { seq: reference.events.length + 1, events: [first.events[0]] } });
  assert.equal(more.status, 409);
  assert.match(more.json.error, /is completed: its recording has ended/);
  assert.equal((await uploadCheckpoint(server.url, id, 'ckpt-000020')).status, 409);
});

test("checkpoints that are not the run's are refused, and so are oversized batches", async () => {
  const wider = smokePipeline((doc) => (doc.nodes.find((n: any) => n.id === 'model').params.d_model = 64));
  const { id } = (await createBrowserRun(server.url, wider)).json;
  const misfit = await uploadCheckpoint(server.url, id, 'ckpt-000010');
  assert.equal(misfit.status, 400);
  assert.equal(misfit.json.errors[0].nodeId, 'model');
  assert.match(misfit.json.errors[0].message, /wte is \[256, 32\] in the checkpoint, \[256, 64\] in this model/);
  const shorter = (
    await createBrowserRun(
      server.url,
      smokePipeline((doc) => (doc.training.steps = 15)),
    )
  ).json.id;
  const past = await uploadCheckpoint(server.url, shorter, 'ckpt-000020');
  assert.equal(past.status, 400);
  assert.match(past.json.error, /ckpt-000020 is at step 20, past the run's last step \(15\)/);
  assert.deepEqual(await readdir(join(runsDir, id, 'checkpoints')).catch(() => []), []);

  const huge = JSON.stringify({ seq: 1, events: [{ type: 'node/notice', nodeId: 'log', data: { message: 'x'.repeat(3 * 1024 * 1024) } }] });
  const tooLarge = await api(server.url, `/api/runs/${id}/events`, { method: 'POST', body: huge, headers: { 'content-type': 'application/json' } });
  assert.equal(tooLarge.status, 413);
  const tooMany = await api(server.url, `/api/runs/${id}/events`, {
    json: { seq: 1, events: Array.from({ length: 10_001 }, () => ({ type: 'node/notice', nodeId: 'log', data: { message: '' } })) },
  });
  assert.equal(tooMany.status, 400);
  assert.equal((await status(server.url, id)).lastSeq, 0);
  assert.equal((await api(server.url, `/api/runs/0000000000000/events`, { json: { seq: 1, events: [] } })).status, 404);
});

test('a silent tab: interrupted, running again when it speaks; a restart interrupts it; resume continues it on the server', async () => {
  const runs = await tempDir('studio-runs-');
  dirs.push(runs);
  const first = await createStudioServer({ port: 0, runsDir: runs.path, dataDir, next: false, browserIdleMs: SHORT_IDLE_MS });
  let id: string;
  // Up to the batch past the first checkpoint (step 10): the tab is then closed mid-run.
  const all = batches(30);
  const upTo = all.findIndex((b) => b.checkpoints.includes('ckpt-000010')) + 1;
  try {
    id = (await createBrowserRun(first.url, smokePipeline())).json.id;
    for (const batch of all.slice(0, upTo)) assert.equal((await post(first.url, id, batch)).status, 200);
    await waitFor('the silent run to be interrupted', async () => (await status(first.url, id)).state === 'interrupted', 10_000);
    assert.ok((await status(first.url, id)).finishedAt);
    // Only out of touch (a laptop asleep): its next batch makes it a running run again.
    const back = await post(first.url, id, all[upTo]);
    assert.equal(back.status, 200, back.text);
    const revived = await status(first.url, id);
    assert.equal(revived.state, 'running');
    assert.equal(revived.finishedAt, undefined);
  } finally {
    await first.close();
  }
  const statusFile = join(runs.path, id, 'status.json');
  assert.equal(JSON.parse(await readFile(statusFile, 'utf8')).state, 'interrupted', 'a server that stops interrupts the browser runs it records');
  // A server that died left it running: the next one interrupts it when it starts.
  await writeFile(statusFile, JSON.stringify({ ...JSON.parse(await readFile(statusFile, 'utf8')), state: 'running', finishedAt: undefined }));
  const second = await createStudioServer({ port: 0, runsDir: runs.path, dataDir, next: false, browserIdleMs: IDLE_MS });
  try {
    const s = await status(second.url, id);
    assert.deepEqual([s.state, s.executor], ['interrupted', 'browser']);
    const lastSeq = s.lastSeq;
    assert.equal(
      lastSeq,
      all.slice(0, upTo + 1).reduce((n, b) => n + b.events.length, 0),
    );

    // Resume: the server trains on from the tab's last checkpoint, on the node executor, in the same stream.
    const watcher = new Watcher(second.url, id);
    await watcher.subscribe();
    const resumed = await api(second.url, `/api/runs/${id}/resume`, { method: 'POST' });
    assert.equal(resumed.status, 200, resumed.text);
    assert.deepEqual([resumed.json.executor, resumed.json.backend, resumed.json.resumeFrom, resumed.json.step], ['node', 'wasm', 'ckpt-000010', 10]);
    await waitFor('the resumed run to end', () => watcher.lastSeq > lastSeq && watcher.finished(), 60_000);
    watcher.close();
    assert.deepEqual(watcher.problems, []);
    const restart = watcher.events.find((e) => e.seq > lastSeq && e.type === 'run/started')!;
    assert.deepEqual([restart.step, (restart.data as { resumedFrom?: string }).resumedFrom], [10, 'ckpt-000010']);
    assert.equal((await finalStatus(second.url, id)).state, 'completed');
    // Its log reads as one run: the tab's lines to step 10, the server's after, each step once, the
    // uninterrupted run's numbers.
    const log = (await api(second.url, `/api/runs/${id}/log`)).text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { step: number; loss: number });
    const expectedLog = reference.logText
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { step: number; loss: number });
    assert.deepEqual(
      log.map((l) => [l.step, l.loss]),
      expectedLog.map((l) => [l.step, l.loss]),
    );
    // The tab, if it comes back now, is told the run is no longer its own.
    const stale = await post(second.url, id, { ...all[upTo + 1], checkpoints: [] });
    assert.equal(stale.status, 409);
    assert.match(stale.json.error, /is a node run/);
  } finally {
    await second.close();
  }
});

test('what a tab posts cannot rewrite the record: a stored checkpoint is not replaced, a line with a lone CR is refused, lastCheckpoint takes only checkpoint names', async () => {
  const { id } = (await createBrowserRun(server.url, smokePipeline())).json;
  const first = await uploadCheckpoint(server.url, id, 'ckpt-000010');
  assert.equal(first.status, 201, JSON.stringify(first.json));
  const retried = await uploadCheckpoint(server.url, id, 'ckpt-000010');
  assert.equal(retried.status, 201, 'the same checkpoint again (a lost reply) is acknowledged');
  assert.deepEqual(retried.json, { ...first.json, removed: [] });
  // Other weights under the stored name: refused, the stored files untouched.
  const other = reference.checkpoints.get('ckpt-000020')!;
  const body = new Uint8Array([...other.meta, ...other.weights]);
  const replaced = await fetch(`${server.url}/api/runs/${id}/checkpoints?name=ckpt-000010`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/octet-stream', [META_LENGTH_HEADER]: String(other.meta.length) },
  });
  assert.equal(replaced.status, 409);
  assert.match(((await replaced.json()) as any).error, /has a checkpoint ckpt-000010 already: a stored checkpoint is not replaced/);
  assert.deepEqual(
    new Uint8Array(await readFile(join(runsDir, id, 'checkpoints', 'ckpt-000010.safetensors'))),
    reference.checkpoints.get('ckpt-000010')!.weights,
  );

  const step1 = reference.events.filter((e) => e.type !== 'run/finished').slice(0, 3);
  const crLine = await api(server.url, `/api/runs/${id}/events`, {
    json: { seq: 1, events: step1, lines: [{ file: 'train_log.jsonl', line: '{"step":1,\r"loss":1}' }] },
  });
  assert.equal(crLine.status, 400);
  assert.deepEqual(
    crLine.json.errors.map((e: any) => e.field),
    ['lines.0.line'],
  );

  const odd = await api(server.url, `/api/runs/${id}/events`, {
    json: { seq: 1, events: [{ type: 'checkpoint/saved', nodeId: 'checkpoint', step: 10, data: { name: '../../status', bytes: 1, removed: [] } }] },
  });
  assert.equal(odd.status, 200);
  assert.equal((await status(server.url, id)).lastCheckpoint, undefined, 'a name that is not a checkpoint name is not taken');
});
