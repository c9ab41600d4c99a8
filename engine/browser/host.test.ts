// The browser executor's host, run in Node on the cpu backend: it must train exactly as runPlan
// does with the same data, from each data source (text, picked files, the app's corpus over HTTP
// Range requests), batch its events, obey pause/resume/stop, resume from its own checkpoints and
// report setup problems on the right node.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { compile } from '../compiler/compile';
import { collectEvents, type RunEvent } from '../events';
import { runPlan } from '../runtime/run';
import { memoryIO } from '../runtime/memory-io';
import { useBackend } from '../node/backend';
import { batchingSink, BrowserRunHost } from './host';
import type { FromWorker, StartMessage } from './protocol';
import { tokenizeTextDataset } from './tokenize-text';

const SMOKE = JSON.parse(readFileSync(new URL('../../pipelines/smoke.json', import.meta.url), 'utf8'));
const TEXT = Array.from({ length: 400 }, (_, i) => `${i % 7 ? 'The cat sat on the mat' : 'A dog ran in the park'} number ${i % 13}.`).join('\n') + '\n';
const DATA = await tokenizeTextDataset(TEXT, { tokenizer: 'byte' });

/** The smoke pipeline with a dataset source, a step count and a checkpoint interval. */
function pipeline(source: 'files' | 'brown', steps: number, checkpointEvery = 1000) {
  const doc = structuredClone(SMOKE);
  doc.training.steps = steps;
  for (const n of doc.nodes) {
    if (n.id === 'dataset') n.params.source = source;
    if (n.id === 'checkpoint') Object.assign(n.params, { every: checkpointEvery, keep_last: 2, at_end: false });
    if (n.id === 'sample') Object.assign(n.params, { every: 1000, max_new_tokens: 4 });
  }
  return doc;
}

/** Runs one start message through a host; returns every message it posted. */
async function host(start: Omit<StartMessage, 'type'>, during?: (messages: FromWorker[], h: BrowserRunHost) => void) {
  const messages: FromWorker[] = [];
  const h = new BrowserRunHost((m) => {
    messages.push(m);
    during?.(messages, h);
  }, '');
  h.handle({ type: 'start', backend: 'cpu', ...start });
  const result = await h.finished!;
  return { result, messages, events: messages.flatMap((m) => (m.type === 'events' ? m.events : [])) };
}

const losses = (events: RunEvent[]) => events.flatMap((e) => (e.type === 'step' ? [e.data.loss] : []));

/** The reference: runPlan with memoryIO on the same ids, same backend. */
async function reference(steps: number) {
  await useBackend('cpu');
  const compiled = compile(pipeline('files', steps));
  assert.ok(compiled.ok);
  const sink = collectEvents();
  await runPlan({ plan: compiled.plan, io: memoryIO(DATA), sink, backendName: 'cpu' });
  return losses(sink.events);
}
const expected = await reference(6);

test('batchingSink: the first event goes at once, the rest at most every interval, all on flush', async () => {
  const posted: RunEvent[][] = [];
  const sink = batchingSink((m) => m.type === 'events' && posted.push(m.events), 50);
  const ev = (step: number): RunEvent => ({ type: 'step', step, data: { loss: 1, tokens_per_sec: 1, step_ms: 1, elapsed_s: 0 } });
  sink.emit(ev(1));
  sink.emit(ev(2));
  sink.emit(ev(3));
  assert.deepEqual(
    posted.map((b) => b.map((e) => e.step)),
    [[1]],
  );
  await new Promise((r) => setTimeout(r, 80)); // the timer posts the rest
  assert.deepEqual(
    posted.map((b) => b.map((e) => e.step)),
    [[1], [2, 3]],
  );
  sink.emit(ev(4));
  sink.flush();
  sink.flush(); // nothing pending: no empty batch
  assert.deepEqual(
    posted.map((b) => b.map((e) => e.step)),
    [[1], [2, 3], [4]],
  );
});

test('text tokenized in the worker: the same losses as runPlan, messages in protocol order', async () => {
  const { result, messages, events } = await host({ pipeline: pipeline('files', 6, 3), data: { kind: 'text', text: TEXT, tokenizer: 'byte' } });
  assert.equal(result.status, 'completed');
  assert.deepEqual(losses(events), expected);
  assert.equal(messages[0].type, 'backend');
  assert.deepEqual(messages[0], { type: 'backend', name: 'cpu', fallbacks: [], detail: 'plain JavaScript' });
  assert.equal(messages.at(-1)!.type, 'done');
  const done = messages.at(-1) as Extract<FromWorker, { type: 'done' }>;
  assert.equal(done.backend, 'cpu');
  assert.equal(new Set(done.memory.numTensors).size, 1, `tensor count flat: ${done.memory.numTensors}`);
  assert.equal(done.memory.numTensors.length, 6);
  // Each checkpoint's bytes arrive before the batch with its checkpoint/saved event.
  const order = messages.flatMap((m) =>
    m.type === 'checkpoint'
      ? [`bytes ${m.name}`]
      : m.type === 'events'
        ? m.events.filter((e) => e.type === 'checkpoint/saved').map((e) => `event ${(e.data as { name: string }).name}`)
        : [],
  );
  assert.deepEqual(order, ['bytes ckpt-000003', 'event ckpt-000003', 'bytes ckpt-000006', 'event ckpt-000006']);
  assert.equal(messages.filter((m) => m.type === 'line' && m.file === 'train_log.jsonl').length, 6);
  assert.equal(events.at(-1)!.type, 'run/finished');
});

test('picked files (Blobs, meta.json as a file): the same losses', async () => {
  const { result, events } = await host({
    pipeline: pipeline('files', 6),
    data: {
      kind: 'files',
      train: new Blob([new Uint8Array(DATA.train)]),
      valid: new Blob([new Uint8Array(DATA.valid)]),
      meta: new Blob([JSON.stringify(DATA.meta)]),
      tokenizer: DATA.tokenizer,
    },
  });
  assert.equal(result.status, 'completed');
  assert.deepEqual(losses(events), expected);
});

// The app's corpus route, in miniature: the tokenized text as brown-byte, served with Range.
const files: Record<string, Uint8Array> = {
  '/data/brown-byte/train_ids.npy': DATA.train,
  '/data/brown-byte/valid_ids.npy': DATA.valid,
  '/data/brown-byte/meta.json': new TextEncoder().encode(JSON.stringify(DATA.meta)),
  '/data/brown-byte/tokenizer.json': new TextEncoder().encode(JSON.stringify(DATA.tokenizer)),
};
let rangeRequests = 0;
const server = createServer((req, res) => {
  const body = files[req.url ?? ''];
  if (!body) {
    res.writeHead(404, { 'Content-Type': 'application/json' });
    return res.end(JSON.stringify({ error: `${req.url} is not prepared on this server` }));
  }
  const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
  if (!m) return res.end(body);
  rangeRequests++;
  const [start, end] = [Number(m[1]), Math.min(Number(m[2]), body.length - 1)];
  res.writeHead(206, { 'Content-Range': `bytes ${start}-${end}/${body.length}` });
  res.end(body.subarray(start, end + 1));
});
await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
after(() => server.close());

test('the bundled corpus over HTTP Range requests: the same losses', async () => {
  const { result, events } = await host({ pipeline: pipeline('brown', 6), origin });
  assert.equal(result.status, 'completed');
  assert.deepEqual(losses(events), expected);
  assert.ok(rangeRequests >= 2, `read with Range requests (${rangeRequests})`);
});

test('a tokenizer the server has not prepared: the dataset node says how to prepare it', async () => {
  const doc = pipeline('brown', 2);
  doc.nodes.find((n: { id: string }) => n.id === 'dataset').params.tokenizer = 'bpe';
  const { result, events } = await host({ pipeline: doc, origin });
  assert.equal(result.status, 'failed');
  const error = events.find((e) => e.type === 'error')!;
  assert.equal(error.nodeId, 'dataset');
  assert.match(
    (error.data as { message: string }).message,
    /BPE \(vocab 1024\) is not prepared on this server .*npm run tokenize -- --brown --tokenizer bpe --vocab-size 1024 --out data\/brown-bpe1024/,
  );
});

test("source 'files' with nothing picked fails on the dataset node", async () => {
  const { result, events } = await host({ pipeline: pipeline('files', 2) });
  assert.equal(result.status, 'failed');
  assert.equal(result.error?.nodeId, 'dataset');
  assert.match(result.error!.message, /pick train_ids\.npy and valid_ids\.npy/);
  assert.deepEqual(
    events.map((e) => e.type),
    ['error', 'run/finished'],
  );
});

test('a pipeline with errors: diagnostics, then a failed done, no events', async () => {
  const doc = pipeline('files', 2);
  doc.nodes.find((n: { id: string }) => n.id === 'model').params.n_heads = 3;
  const { result, messages } = await host({ pipeline: doc, data: { kind: 'text', text: TEXT, tokenizer: 'byte' } });
  assert.equal(result.status, 'failed');
  assert.deepEqual(
    messages.map((m) => m.type),
    ['diagnostics', 'done'],
  );
  assert.ok((messages[0] as Extract<FromWorker, { type: 'diagnostics' }>).diagnostics.some((d) => d.nodeId === 'model'));
});

test('pause holds the run between steps, resume continues, stop ends it as stopped', async () => {
  const stepsIn = (messages: FromWorker[]) => losses(messages.flatMap((m) => (m.type === 'events' ? m.events : []))).length;
  let paused = false;
  let stepsAtPause = 0;
  let stepsAfterPause = -1;
  const run = await host({ pipeline: pipeline('files', 50), data: { kind: 'text', text: TEXT, tokenizer: 'byte' } }, (messages, h) => {
    if (paused || stepsIn(messages) < 2) return;
    paused = true;
    stepsAtPause = stepsIn(messages);
    h.handle({ type: 'pause' });
    setTimeout(() => {
      stepsAfterPause = stepsIn(messages);
      h.handle({ type: 'resume' });
      setTimeout(() => h.handle({ type: 'stop' }), 150);
    }, 300);
  });
  assert.equal(run.result.status, 'stopped');
  // Events are batched, so the step in flight and one not yet posted may still show up during the pause.
  assert.ok(stepsAfterPause >= stepsAtPause && stepsAfterPause <= stepsAtPause + 2, `held while paused: ${stepsAtPause} -> ${stepsAfterPause}`);
  assert.ok(run.result.step > stepsAfterPause && run.result.step < 50, `resumed, then stopped at ${run.result.step}`);
  assert.equal(run.events.at(-1)!.type, 'run/finished');
});

test("resuming from the host's own checkpoint continues exactly", async () => {
  const full = await host({ pipeline: pipeline('files', 6, 3), data: { kind: 'text', text: TEXT, tokenizer: 'byte' } });
  const ckpt = full.messages.find((m) => m.type === 'checkpoint' && m.name === 'ckpt-000003') as Extract<FromWorker, { type: 'checkpoint' }>;
  assert.equal((ckpt.meta as { executor: string }).executor, 'browser');
  const resumed = await host({
    pipeline: pipeline('files', 6, 3),
    data: { kind: 'text', text: TEXT, tokenizer: 'byte' },
    resume: { name: ckpt.name, step: ckpt.step, weights: ckpt.weights, meta: ckpt.meta },
  });
  assert.equal(resumed.result.status, 'completed');
  const startedEvent = resumed.events.find((e) => e.type === 'run/started')!;
  assert.deepEqual([startedEvent.step, (startedEvent.data as { resumedFrom?: string }).resumedFrom], [3, 'ckpt-000003']);
  assert.deepEqual(losses(resumed.events), losses(full.events).slice(3));
});

test('resuming with restartSchedule counts steps from 1 on the checkpoint weights, as the node executor does', async () => {
  const full = await host({ pipeline: pipeline('files', 6, 3), data: { kind: 'text', text: TEXT, tokenizer: 'byte' } });
  const ckpt = full.messages.find((m) => m.type === 'checkpoint' && m.name === 'ckpt-000003') as Extract<FromWorker, { type: 'checkpoint' }>;
  const restarted = await host({
    pipeline: pipeline('files', 6, 3),
    data: { kind: 'text', text: TEXT, tokenizer: 'byte' },
    resume: { name: ckpt.name, step: ckpt.step, weights: ckpt.weights, meta: ckpt.meta },
    restartSchedule: true,
  });
  assert.equal(restarted.result.status, 'completed');
  const steps = restarted.events.filter((e) => e.type === 'step').map((e) => e.step);
  assert.deepEqual(steps, [1, 2, 3, 4, 5, 6]);
  // Step 1 is computed on the checkpoint's weights and batch: the full run's step 4.
  assert.equal(losses(restarted.events)[0], losses(full.events)[3]);
});
