// W&B streaming against a local stand-in for api.wandb.ai (127.0.0.1 only) that checks what the
// official client sends: basic auth `api:<key>`, the upsertBucket mutation, file_stream posts of
// wandb-history.jsonl lines with _step/_runtime/_timestamp at contiguous offsets, and the final
// `complete` marker. Events are the ones a real run emits, for the smoke pipeline's plan.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { compile } from '../compiler/compile';
import { collectEvents, type RunEvent } from '../events';
import type { Plan } from '../plan';
import { withWandb } from './wandb';

const KEY = 'local-test-key-0123456789';

interface Seen {
  path: string;
  auth: string | undefined;
  body: any;
}

/** The stand-in: records requests; `answer` decides replies (default: a healthy W&B). */
async function standIn(answer?: (seen: Seen) => { status: number; body: unknown } | undefined) {
  const seen: Seen[] = [];
  const server: Server = createServer(async (req, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    const entry: Seen = { path: req.url ?? '', auth: req.headers.authorization, body: JSON.parse(text) };
    seen.push(entry);
    const custom = answer?.(entry);
    const reply =
      custom ??
      (entry.path === '/graphql'
        ? {
            status: 200,
            body: {
              data: {
                upsertBucket: {
                  bucket: {
                    id: 'QnVja2V0',
                    name: entry.body.variables.name,
                    historyLineCount: 0,
                    project: { name: entry.body.variables.project, entity: { name: 'studio-tester' } },
                  },
                  inserted: true,
                },
              },
            },
          }
        : { status: 200, body: {} });
    res.writeHead(reply.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(reply.body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { seen, url, close: () => new Promise<void>((r) => server.close(() => r())) };
}

function smokePlan(log: Record<string, unknown>): Plan {
  const doc = JSON.parse(readFileSync(new URL('../../pipelines/smoke.json', import.meta.url), 'utf8'));
  for (const node of doc.nodes) if (node.id === 'log') node.params = { ...node.params, ...log };
  const compiled = compile(doc);
  assert.ok(compiled.ok);
  return compiled.plan;
}

/** The event sequence of a run of `plan` (values made up, order and shapes as runPlan emits). */
function runEvents(plan: Plan, from: number, to: number, status: 'completed' | 'failed' = 'completed'): RunEvent[] {
  const events: RunEvent[] = [{ type: 'run/started', step: from, data: { totalSteps: plan.totalSteps, backend: 'cpu', parameters: 18528, tokensPerStep: 64 } }];
  for (let step = from + 1; step <= to; step++) {
    if (step % 10 === 0) events.push({ type: 'eval', nodeId: 'eval', step, data: { val_loss: 4 - step / 100, batches: 2 } });
    events.push({ type: 'node/metrics', nodeId: 'loss', step, data: { loss: 5 - step / 10 } });
    events.push({
      type: 'step',
      step,
      data: { loss: 5 - step / 10, lr: 0.01, grad_norm: step === 3 ? NaN : 0.5, tokens_per_sec: 1000, step_ms: 50, elapsed_s: step * 0.05 },
    });
  }
  events.push({ type: 'run/finished', step: to, data: { status, elapsed_s: to * 0.05 } });
  return events;
}

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('streams logged steps the way the official client does', async () => {
  const wandb = await standIn();
  try {
    const plan = smokePlan({ wandb: true, wandb_project: 'tiny-gpt', every: 1 });
    const inner = collectEvents();
    const sink = withWandb(plan, inner, { runId: '0mabc123', env: { WANDB_API_KEY: KEY, WANDB_BASE_URL: wandb.url + '/' }, flushMs: 30 });
    const events = runEvents(plan, 0, 20);
    for (const e of events.slice(0, 25)) sink.emit(e);
    // Wait for an upload mid-run, so the history arrives in more than one post.
    for (let waited = 0; !wandb.seen.some((s) => s.body.files); waited += 10) {
      assert.ok(waited < 10_000, 'an upload within 10 s');
      await tick(10);
    }
    for (const e of events.slice(25)) sink.emit(e);
    await sink.close();

    // Every event reaches the inner sink unchanged, plus one notice with the run's page.
    assert.deepEqual(
      inner.events.filter((e) => e.type !== 'node/notice'),
      events,
    );
    const notices = inner.events.filter((e) => e.type === 'node/notice');
    assert.deepEqual(notices, [{ type: 'node/notice', nodeId: 'log', data: { message: `W&B: logging to ${wandb.url}/studio-tester/tiny-gpt/runs/0mabc123` } }]);

    const auth = `Basic ${Buffer.from(`api:${KEY}`).toString('base64')}`;
    assert.ok(
      wandb.seen.every((s) => s.auth === auth),
      'HTTP basic auth api:<key> on every request',
    );
    const [create, ...stream] = wandb.seen;
    assert.equal(create.path, '/graphql');
    assert.match(create.body.query, /mutation UpsertBucket\(/);
    assert.match(create.body.query, /upsertBucket\(input: \{[^}]*name: \$name, modelName: \$project, entityName: \$entity/);
    assert.match(create.body.query, /historyLineCount/);
    assert.equal(create.body.variables.name, '0mabc123');
    assert.equal(create.body.variables.project, 'tiny-gpt');
    assert.equal(create.body.variables.entity, null);
    assert.equal(create.body.variables.displayName, plan.name);
    const config = JSON.parse(create.body.variables.config);
    assert.deepEqual(config.model, { desc: null, value: plan.nodes.find((n) => n.id === 'model')!.params });

    assert.ok(stream.length >= 3, `history in several posts plus the final one (got ${stream.length})`);
    assert.ok(stream.every((s) => s.path === '/files/studio-tester/tiny-gpt/0mabc123/file_stream'));
    const uploads = stream.filter((s) => s.body.files);
    let offset = 0;
    const lines: any[] = [];
    for (const { body } of uploads) {
      const history = body.files['wandb-history.jsonl'];
      assert.equal(history.offset, offset, 'offsets continue where the last post ended');
      offset += history.content.length;
      lines.push(...history.content.map((l: string) => JSON.parse(l)));
      assert.equal(body.files['wandb-summary.json'].offset, 0);
    }
    assert.deepEqual(
      lines.map((l) => l._step),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    for (const line of lines) {
      assert.equal(line['train/loss'], 5 - line._step / 10);
      assert.equal(line.lr, 0.01);
      assert.equal(line._runtime, line._step * 0.05);
      assert.ok(Math.abs(line._timestamp - Date.now() / 1000) < 60, '_timestamp is unix seconds');
    }
    assert.equal(lines[9]['val/loss'], 3.9);
    assert.equal(lines[8]['val/loss'], undefined);
    assert.equal(lines[2].grad_norm, undefined, 'NaN is left out (W&B JSON has no NaN)');
    const summary = JSON.parse(uploads.at(-1)!.body.files['wandb-summary.json'].content[0]);
    assert.equal(summary._step, 20);
    assert.deepEqual(stream.at(-1)!.body, { complete: true, exitcode: 0 });
  } finally {
    await wandb.close();
  }
});

test("logs only the steps the log node logs, and resumes at the server's history length", async () => {
  const wandb = await standIn((seen) =>
    seen.path === '/graphql'
      ? { status: 200, body: { data: { upsertBucket: { bucket: { name: 'r', historyLineCount: 7, project: { name: 'p', entity: { name: 'e' } } } } } } }
      : undefined,
  );
  try {
    const plan = smokePlan({ wandb: true, wandb_project: 'p', every: 4 });
    const sink = withWandb(plan, collectEvents(), { runId: 'r', env: { WANDB_API_KEY: KEY, WANDB_BASE_URL: wandb.url }, flushMs: 10_000 });
    for (const e of runEvents(plan, 12, 20, 'failed')) sink.emit(e);
    await sink.close();
    const [upload, done] = wandb.seen.slice(1);
    assert.equal(upload.body.files['wandb-history.jsonl'].offset, 7);
    // every 4: 16, 20 (also the last step); 20 also has an eval.
    assert.deepEqual(
      upload.body.files['wandb-history.jsonl'].content.map((l: string) => JSON.parse(l)._step),
      [16, 20],
    );
    assert.deepEqual(done.body, { complete: true, exitcode: 1 }, 'a failed run ends with a non-zero exit code');
  } finally {
    await wandb.close();
  }
});

test('without a key, or without W&B, training goes on and the log node says why', async () => {
  const plan = smokePlan({ wandb: true });
  const noKey = collectEvents();
  const sink = withWandb(plan, noKey, { runId: 'r', env: {} });
  for (const e of runEvents(plan, 0, 3)) sink.emit(e);
  await sink.close();
  assert.deepEqual(
    noKey.events.filter((e) => e.type === 'node/notice').map((e) => [e.nodeId, e.data]),
    [['log', { message: 'W&B is on, but WANDB_API_KEY is not set: metrics stay local (training continues)' }]],
  );
  assert.equal(noKey.events.filter((e) => e.type !== 'node/notice').length, runEvents(plan, 0, 3).length);

  // Nothing listens on this port any more: connection refused.
  const gone = await standIn();
  await gone.close();
  const offline = collectEvents();
  const sink2 = withWandb(plan, offline, { runId: 'r', env: { WANDB_API_KEY: KEY, WANDB_BASE_URL: gone.url } });
  for (const e of runEvents(plan, 0, 3)) sink2.emit(e);
  await sink2.close();
  const [notice] = offline.events.filter((e) => e.type === 'node/notice');
  assert.match(
    (notice as { data: { message: string } }).data.message,
    /^W&B unavailable: cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\) \(training continues\)$/,
  );

  // A key W&B rejects while streaming: one notice, uploads stop.
  const refusing = await standIn((seen) => (seen.path.endsWith('/file_stream') ? { status: 401, body: { error: 'bad key' } } : undefined));
  try {
    const rejected = collectEvents();
    const sink3 = withWandb(plan, rejected, { runId: 'r', env: { WANDB_API_KEY: KEY, WANDB_BASE_URL: refusing.url } });
    for (const e of runEvents(plan, 0, 20)) sink3.emit(e);
    await sink3.close();
    const messages = rejected.events.filter((e) => e.type === 'node/notice').map((e) => (e as { data: { message: string } }).data.message);
    assert.equal(messages.length, 2);
    assert.match(messages[1], /^W&B uploads stopped: .*file_stream answered 401 \(check WANDB_API_KEY\)/);
    assert.equal(refusing.seen.filter((s) => s.path.endsWith('/file_stream')).length, 1, '4xx is not retried');
  } finally {
    await refusing.close();
  }
});

test('with wandb off nothing is sent and events pass through', async () => {
  const plan = smokePlan({});
  const inner = collectEvents();
  let calls = 0;
  const sink = withWandb(plan, inner, {
    runId: 'r',
    env: { WANDB_API_KEY: KEY },
    fetch: (async () => {
      calls++;
      return new Response('{}');
    }) as typeof fetch,
  });
  const events = runEvents(plan, 0, 5);
  for (const e of events) sink.emit(e);
  await sink.close();
  assert.deepEqual(inner.events, events);
  assert.equal(calls, 0);
});
