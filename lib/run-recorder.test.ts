// lib/run-recorder.ts against a real studio server: a real browser run (the worker host behind a
// MessageChannel, cpu backend, as in browser-executor.test.ts) recorded through a network that
// loses requests and replies, ends up on the server exactly as the tab saw it; pauses reach the
// server and heartbeats keep a paused run alive; a refusal stops the recording and says why; a
// closing page interrupts its run at once.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { RunEvent } from '../engine/events';
import { inProcessWorker } from './testing/in-process-worker';
import { createStudioServer, type StudioServer } from '../server/app';
import { tempDir, waitFor } from '../server/test-support';
import { startBrowserRun } from './browser-executor';
import { RunRecorder } from './run-recorder';

const SMOKE = JSON.parse(readFileSync(new URL('../pipelines/smoke.json', import.meta.url), 'utf8'));
const TEXT = Array.from({ length: 300 }, (_, i) => `Row ${i % 11}: pack my box with five dozen liquor jugs.`).join('\n') + '\n';
/** The server's patience with a silent tab, short here so the test sees it run out. */
const IDLE_MS = 600;

let server: StudioServer;
let dirs: Awaited<ReturnType<typeof tempDir>>[] = [];

before(async () => {
  dirs = [await tempDir('studio-runs-'), await tempDir('studio-data-')];
  server = await createStudioServer({ port: 0, runsDir: dirs[0].path, dataDir: dirs[1].path, next: false, browserIdleMs: IDLE_MS });
});

after(async () => {
  await server.close();
  for (const d of dirs) await d.remove();
});

function pipeline(steps: number) {
  const doc = structuredClone(SMOKE);
  doc.training.steps = steps;
  for (const n of doc.nodes) {
    if (n.id === 'dataset') n.params.source = 'files';
    if (n.id === 'checkpoint') Object.assign(n.params, { every: 2, keep_last: 2 });
    if (n.id === 'sample') Object.assign(n.params, { every: 3, max_new_tokens: 4 });
  }
  return doc;
}

async function json(path: string, init?: RequestInit): Promise<any> {
  const reply = await fetch(server.url + path, init);
  return reply.json();
}

async function recordBrowserRun(doc: unknown): Promise<string> {
  const reply = await fetch(`${server.url}/api/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ pipeline: doc, executor: 'browser', backend: 'cpu' }),
  });
  assert.equal(reply.status, 201);
  return ((await reply.json()) as { id: string }).id;
}

/** A network that loses things: every 3rd request is never sent, every 4th reply never arrives. */
function lossyFetch(): { fetch: typeof fetch; lost: number } {
  let n = 0;
  const counts = { lost: 0 } as { fetch: typeof fetch; lost: number };
  counts.fetch = async (input, init) => {
    n++;
    if (n % 3 === 0) {
      counts.lost++;
      throw new TypeError('fetch failed (connection refused)');
    }
    const reply = await fetch(input, init);
    if (n % 4 === 0) {
      counts.lost++;
      await reply.body?.cancel();
      throw new TypeError('fetch failed (connection reset)');
    }
    return reply;
  };
  return counts;
}

test('a browser run recorded through a lossy network: the server holds what the tab saw, once and in order', async () => {
  const id = await recordBrowserRun(pipeline(8));
  const network = lossyFetch();
  const recorder = new RunRecorder(id, { origin: server.url, intervalMs: 20, fetch: network.fetch, onStopped: (why) => assert.fail(`stopped: ${why}`) });
  const seen: RunEvent[] = [];
  const run = startBrowserRun({
    pipeline: pipeline(8),
    backend: 'cpu',
    data: { kind: 'text', text: TEXT, tokenizer: 'byte' },
    createWorker: inProcessWorker,
    onEvents: (events) => {
      seen.push(...events);
      recorder.addEvents(events);
    },
    onLine: (file, line) => recorder.addLine(file, line),
    onCheckpoint: (checkpoint) => recorder.addCheckpoint(checkpoint),
  });
  assert.equal((await run.done).status, 'completed');
  assert.equal(await recorder.finish(), true);
  assert.equal(recorder.stopped, undefined);
  assert.ok(network.lost >= 3, `the network lost ${network.lost} requests or replies`);

  const status = await json(`/api/runs/${id}`);
  assert.deepEqual(
    [status.state, status.executor, status.backend, status.step, status.lastSeq, status.lastCheckpoint],
    ['completed', 'browser', 'cpu', 8, seen.length, 'ckpt-000008'],
  );
  const stored = (await (await fetch(`${server.url}/api/runs/${id}/events`)).text())
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    stored.map((e) => e.seq),
    seen.map((_, i) => i + 1),
  );
  assert.deepEqual(
    stored.map(({ runId: _, seq: __, ...e }) => e.type),
    seen.map((e) => e.type),
  );
  assert.deepEqual(
    stored.filter((e) => e.type === 'step').map((e) => e.data.loss),
    seen.flatMap((e) => (e.type === 'step' ? [e.data.loss] : [])),
  );
  assert.equal(await (await fetch(`${server.url}/api/runs/${id}/log`)).text(), run.logLines.map((l) => l + '\n').join(''));
  assert.equal(await (await fetch(`${server.url}/api/runs/${id}/samples`)).text(), run.sampleLines.map((l) => l + '\n').join(''));
  // keep_last 2, as in the tab; the bytes are the tab's.
  const checkpoints = (await json(`/api/runs/${id}/checkpoints`)).checkpoints.map((c: { name: string }) => c.name);
  assert.deepEqual(checkpoints, [...run.checkpoints.keys()]);
  assert.deepEqual(checkpoints, ['ckpt-000006', 'ckpt-000008']);
  for (const name of checkpoints) {
    assert.ok(recorder.hasCheckpoint(name));
    const bytes = new Uint8Array(await (await fetch(`${server.url}/api/runs/${id}/checkpoints/${name}`)).arrayBuffer());
    assert.deepEqual(bytes, new Uint8Array(run.checkpoints.get(name)!.weights));
  }
});

const started: RunEvent = { type: 'run/started', step: 0, data: { totalSteps: 10, backend: 'cpu', parameters: 100, tokensPerStep: 64 } };
const metrics = (step: number): RunEvent => ({ type: 'node/metrics', nodeId: 'loss', step, data: { loss: 5 - step / 10 } });

test('a pause reaches the server, heartbeats keep the paused run alive, and silence interrupts it', async () => {
  const id = await recordBrowserRun(pipeline(10));
  const recorder = new RunRecorder(id, { origin: server.url, intervalMs: 20, heartbeatMs: IDLE_MS / 4 });
  recorder.addEvents([started, metrics(0)]);
  recorder.setPaused(true);
  await waitFor('the server to hear the pause', async () => (await json(`/api/runs/${id}`)).state === 'paused');
  await new Promise((r) => setTimeout(r, IDLE_MS * 3));
  assert.equal((await json(`/api/runs/${id}`)).state, 'paused', 'heartbeats kept it from being interrupted');
  recorder.setPaused(false);
  recorder.addEvents([metrics(1)]);
  await waitFor('the server to hear it runs again', async () => (await json(`/api/runs/${id}`)).state === 'running');
  // The tab dies without a word: no heartbeats, and the server gives up on it.
  assert.equal(await recorder.finish(), true);
  await waitFor('the silent run to be interrupted', async () => (await json(`/api/runs/${id}`)).state === 'interrupted', 5000);
  assert.equal((await json(`/api/runs/${id}`)).lastSeq, 3);
});

test('a page closing while a batch is on its way still interrupts its run at once', async () => {
  const id = await recordBrowserRun(pipeline(10));
  let answer!: () => void;
  const slowReplies = new Promise<void>((r) => (answer = r));
  // The server stores each request at once; its replies are slow to come back.
  const slow: typeof fetch = async (...args) => {
    const reply = await fetch(...args);
    await slowReplies;
    return reply;
  };
  const recorder = new RunRecorder(id, { origin: server.url, intervalMs: 20, fetch: slow });
  recorder.addEvents([started, metrics(0)]);
  await waitFor('the batch to be stored', async () => (await json(`/api/runs/${id}`)).lastSeq === 2);
  recorder.addEvents([metrics(1)]); // lost with the page: the batch before it is still unanswered
  recorder.close();
  await waitFor('the closed run to be interrupted', async () => (await json(`/api/runs/${id}`)).state === 'interrupted', IDLE_MS / 2);
  answer();
  assert.equal((await json(`/api/runs/${id}`)).lastSeq, 2);
});

test('a closing page whose last batch is over 64 KiB of UTF-8 sends the word alone, and it is heard', async () => {
  const id = await recordBrowserRun(pipeline(10));
  const sent: number[] = [];
  const measuring: typeof fetch = (input, init) => {
    sent.push(new TextEncoder().encode(String(init?.body)).length);
    return fetch(input, init);
  };
  const recorder = new RunRecorder(id, { origin: server.url, intervalMs: 10_000, fetch: measuring });
  recorder.addEvents([started, metrics(0)]);
  // A byte-level model's sample: 25 000 characters, three bytes each in UTF-8.
  recorder.addLine('samples.jsonl', JSON.stringify({ step: 0, text: '\ufffd'.repeat(25_000) }));
  recorder.close();
  await waitFor('the closed run to be interrupted', async () => (await json(`/api/runs/${id}`)).state === 'interrupted', IDLE_MS / 2);
  assert.equal(sent.length, 1);
  assert.ok(sent[0] <= 64 * 1024, `the keepalive body is ${sent[0]} bytes`);
});

test('a closing page interrupts its run at once; a refusal stops the recording and says why', async () => {
  const closing = await recordBrowserRun(pipeline(10));
  const recorder = new RunRecorder(closing, { origin: server.url, intervalMs: 10_000 });
  recorder.addEvents([started, metrics(0)]);
  recorder.close();
  await waitFor('the closed run to be interrupted', async () => (await json(`/api/runs/${closing}`)).state === 'interrupted', IDLE_MS / 2);
  assert.equal((await json(`/api/runs/${closing}`)).lastSeq, 2, 'the pending events went up with the last word');

  const refused = await recordBrowserRun(pipeline(10));
  const reasons: string[] = [];
  const stopping = new RunRecorder(refused, { origin: server.url, intervalMs: 20, onStopped: (why) => reasons.push(why) });
  stopping.addEvents([started, { type: 'step', step: 1, data: { loss: Number.NaN, tokens_per_sec: 1, step_ms: 1, elapsed_s: 1 } }]);
  assert.equal(await stopping.finish(), false);
  assert.deepEqual(reasons, [stopping.stopped]);
  assert.match(stopping.stopped!, /^invalid request: events\.1\.data\.loss /);
  stopping.addEvents([metrics(2)]); // ignored from now on
  assert.equal(await stopping.finish(), false);
  assert.equal((await json(`/api/runs/${refused}`)).lastSeq, 0);
});
