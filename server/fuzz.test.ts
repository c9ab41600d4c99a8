// Malformed input never crashes the server: thousands of generated and mutated pipeline documents,
// bodies that are not JSON, wrong content types, huge numbers and deep nesting go to a real server's
// POST /api/runs, and malformed messages to its socket. Every reply is a 201 (valid: the run is
// stopped at once) or a 4xx whose body says what is wrong, addressed to a node, edge or field;
// never a 5xx, and the server still answers afterwards. Seeds are fixed, so a failure reproduces.
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import { io, type Socket } from 'socket.io-client';
import { createStudioServer, type StudioServer } from './app';
import { RUN_ID_PATTERN } from './runs/ids';
import { anyValue, pipelineMutation } from '../engine/testing/pipeline-mutations';
import { api, smokePipeline, tempDir, waitFor } from './test-support';

let server: StudioServer;
let base: string;
let dirs: Awaited<ReturnType<typeof tempDir>>[] = [];
/** A run that holds the only training slot, paused: valid submissions queue behind it and are stopped. */
let holder: string;
const tally = { requests: 0, created: 0, refused: 0 };

before(async () => {
  const runs = await tempDir('studio-runs-');
  const data = await tempDir('studio-data-');
  dirs = [runs, data];
  server = await createStudioServer({ port: 0, runsDir: runs.path, dataDir: data.path, next: false, maxBodyBytes: 256 * 1024 });
  base = server.url;
  holder = (await api(base, '/api/runs', { json: { pipeline: smokePipeline(), steps: 1_000_000, backend: 'cpu' } })).json.id;
  await waitFor('the slot holder to run', async () => (await api(base, `/api/runs/${holder}`)).json.state === 'running');
  assert.equal((await api(base, `/api/runs/${holder}/pause`, { method: 'POST' })).status, 200);
});

after(async () => {
  await server.close();
  for (const d of dirs) await d.remove();
});

/** POSTs raw bytes (fetch cannot send every content type or a body that is not UTF-8). */
function post(body: string | Buffer, headers: Record<string, string>, fresh = false): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    // `fresh`: a connection of its own, for a request whose body is not what it declared (the
    // server is still reading it when the reply comes, so the connection cannot carry another).
    const req = request(`${base}/api/runs`, { method: 'POST', headers, ...(fresh ? { agent: false } : {}) }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The reply contract of POST /api/runs; a created run is stopped at once (it never trains). */
async function checkReply(status: number, text: string, what: () => string): Promise<void> {
  tally.requests++;
  assert.ok(status === 201 || (status >= 400 && status < 500), `${status} for ${what()}: ${text.slice(0, 300)}`);
  const json = JSON.parse(text);
  if (status === 201) {
    assert.match(json.id, RUN_ID_PATTERN);
    tally.created++;
    const stopped = await api(base, `/api/runs/${json.id}/stop`, { method: 'POST' });
    assert.equal(stopped.json.state, 'stopped');
    return;
  }
  tally.refused++;
  assert.equal(typeof json.error, 'string', text);
  assert.ok(json.error.length > 0);
  if (json.errors === undefined) return;
  assert.ok(Array.isArray(json.errors) && json.errors.length > 0, text);
  for (const e of json.errors) {
    assert.equal(typeof e.message, 'string', text);
    assert.ok(e.message.length > 0, text);
    for (const key of ['nodeId', 'edgeId', 'field']) if (e[key] !== undefined) assert.equal(typeof e[key], 'string', text);
    // A pipeline's problems say where: a node, an edge, or a field of the document or request.
    if (json.error !== 'invalid request')
      assert.ok(e.nodeId !== undefined || e.edgeId !== undefined || e.field !== undefined, `unaddressed: ${JSON.stringify(e)}`);
  }
}

// ---- generated pipeline documents ----

const seedDoc = JSON.parse(JSON.stringify(smokePipeline()));

const mutation = fc.oneof(
  pipelineMutation(anyValue),
  // A dataset that names files (inside or outside the data folder).
  fc.constantFrom('/etc/passwd', '../../../etc/hostname', 'train_ids.npy', '').map((path) => (doc: any): void => {
    const node = Array.isArray(doc.nodes) && doc.nodes.find((n: any) => n?.id === 'dataset');
    if (node) node.params = { source: 'files', tokenizer: 'byte', train_path: path, valid_path: path };
  }),
);

/** The request around the document: executor, steps, backend, torch options, unknown keys. */
/** Usually absent (so many submissions are valid), sometimes `value`. */
const sometimes = <T>(value: fc.Arbitrary<T>, weight = 1) => fc.oneof({ arbitrary: fc.constant(undefined), weight: 6 }, { arbitrary: value, weight });
const envelope = fc.record({
  executor: sometimes(fc.constantFrom('node', 'node', 'torch', 'python', 1, null)),
  steps: sometimes(fc.oneof(fc.integer({ min: 1, max: 3 }), anyValue), 3),
  backend: sometimes(fc.constantFrom('cpu', 'wasm', 'tensorflow', 'webgpu', 'gpu', 7)),
  torch: sometimes(fc.oneof(fc.record({ nproc: anyValue, device: fc.constantFrom('cpu', 'cuda', 'tpu') }, { requiredKeys: [] }), anyValue)),
  extra: sometimes(fc.tuple(fc.string({ maxLength: 10 }), anyValue)),
});

test('2,000 mutated pipeline submissions: 201 or an addressed 4xx, never a 5xx', async () => {
  const start = tally.requests;
  await fc.assert(
    fc.asyncProperty(fc.array(mutation, { minLength: 0, maxLength: 3 }), envelope, async (mutations, env) => {
      const pipeline = structuredClone(seedDoc);
      for (const m of mutations) m(pipeline);
      const body: Record<string, unknown> = { pipeline };
      for (const key of ['executor', 'steps', 'backend', 'torch'] as const) if (env[key] !== undefined) body[key] = env[key];
      if (env.extra) body[env.extra[0]] = env.extra[1];
      const text = JSON.stringify(body);
      const reply = await post(text, { 'content-type': 'application/json' });
      await checkReply(reply.status, reply.text, () => text.slice(0, 2000));
    }),
    { numRuns: 2000, seed: 20261129 },
  );
  assert.equal(tally.requests - start, 2000);
});

// ---- bodies that are not a submission at all ----

const deep = (n: number, open: string, close: string, inner = '1') => open.repeat(n) + inner + close.repeat(n);

/** Hand-picked hard cases: nesting far past any stack, numbers past float range, odd keys. */
const edgeCases: [string, string | Buffer, Record<string, string>][] = [
  ['deep array body', deep(100_000, '[', ']'), {}],
  ['deep object pipeline', `{"pipeline":${deep(40_000, '{"a":', '}')}}`, {}],
  ['deep array in a param', JSON.stringify({ pipeline: seedDoc }).replace('"tie_embeddings":true', `"tie_embeddings":${deep(50_000, '[', ']')}`), {}],
  ['deep object in meta', JSON.stringify({ pipeline: seedDoc }).replace('"meta":{', `"meta":{"x":${deep(20_000, '{"a":', '}')},`), {}],
  ['deep object in notes', JSON.stringify({ pipeline: seedDoc }).replace('"notes":[]', `"notes":[${deep(20_000, '{"a":', '}')}]`), {}],
  ['deep object in training', JSON.stringify({ pipeline: seedDoc }).replace('"training":{', `"training":{"x":${deep(20_000, '{"a":', '}')},`), {}],
  ['number past float range', '{"pipeline":{"version":1e400,"nodes":[],"edges":[]},"steps":1e999}', {}],
  ['huge integer literal', `{"pipeline":{"version":1,"nodes":[],"edges":[]},"steps":${'9'.repeat(5000)}}`, {}],
  ['steps past the limit', JSON.stringify({ pipeline: seedDoc, steps: 1e12 }), {}],
  ['training steps 1e300', JSON.stringify({ pipeline: { ...seedDoc, training: { steps: 1e300 } } }), {}],
  [
    '__proto__ keys',
    '{"pipeline":{"__proto__":{"polluted":1},"version":1,"nodes":[{"__proto__":{"id":"x"}}],"edges":[]},"__proto__":{"executor":"torch"}}',
    {},
  ],
  ['constructor key', '{"pipeline":{"constructor":{"prototype":{"x":1}},"version":1,"nodes":[],"edges":[]}}', {}],
  ['duplicate keys', '{"pipeline":{"version":1,"version":2,"nodes":[],"edges":[]},"pipeline":1}', {}],
  ['60,000 nodes', `{"pipeline":{"version":1,"nodes":[${Array(60_000).fill('{}').join(',')}],"edges":[]}}`, {}],
  ['empty body', '', {}],
  ['null', 'null', {}],
  ['a string', '"pipeline"', {}],
  ['a number', '42', {}],
  ['truncated', JSON.stringify({ pipeline: seedDoc }).slice(0, 500), {}],
  ['not UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), {}],
  ['BOM first', '\ufeff{"pipeline":{}}', {}],
  ['over the size limit', JSON.stringify({ pipeline: { padding: 'x'.repeat(300 * 1024) } }), {}],
  ['lying content-length', '{}', { 'content-length': '999999999' }],
  ['no content type', '{"pipeline":{}}', { 'content-type': '' }],
  ['text/plain', JSON.stringify({ pipeline: seedDoc }), { 'content-type': 'text/plain' }],
  ['form', 'pipeline=1', { 'content-type': 'application/x-www-form-urlencoded' }],
  ['multipart', '--x\r\n\r\n{}\r\n--x--', { 'content-type': 'multipart/form-data; boundary=x' }],
  ['json with odd charset', '{"pipeline":{}}', { 'content-type': 'application/json; charset=utf-16' }],
  ['application/jsonp', '{"pipeline":{}}', { 'content-type': 'application/jsonp' }],
];

test('hard cases: deep nesting, huge numbers, odd keys, bodies that are not JSON, wrong content types', async () => {
  for (const [what, body, headers] of edgeCases) {
    const reply = await post(body, { 'content-type': 'application/json', ...headers }, 'content-length' in headers).catch((e: Error) => ({
      status: 0,
      text: e.message,
    }));
    // A lying content-length is answered (413) before the body; the client may see the socket close instead.
    if (what === 'lying content-length' && reply.status === 0) continue;
    await checkReply(reply.status, reply.text, () => what);
  }
  assert.equal(Object.getPrototypeOf({}).polluted, undefined, 'no prototype pollution');
});

test('600 random bodies and content types', async () => {
  const bodies = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.json({ maxDepth: 6 }),
    fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify({ pipeline: v })),
    fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
    fc.tuple(fc.nat(), fc.constant(JSON.stringify({ pipeline: seedDoc }))).map(([cut, text]) => text.slice(0, cut % text.length)),
  );
  const types = fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'APPLICATION/JSON',
    'text/json',
    'text/plain',
    '',
    'application/octet-stream',
  );
  await fc.assert(
    fc.asyncProperty(bodies, types, async (body, type) => {
      const reply = await post(body, type ? { 'content-type': type } : {});
      await checkReply(reply.status, reply.text, () => `${type}: ${String(body).slice(0, 300)}`);
    }),
    { numRuns: 600, seed: 7 },
  );
});

// ---- the socket ----

function connectSocket(): Promise<Socket> {
  const socket = io(base, { transports: ['websocket'], forceNew: true, reconnection: false });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

test('800 malformed socket messages get an error ack; the server keeps serving', async () => {
  const socket = await connectSocket();
  let disconnected = false;
  socket.on('disconnect', () => (disconnected = true));
  try {
    const payloads = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }),
      fc.record(
        { runId: fc.oneof(anyValue, fc.stringMatching(/^[0-9a-z]{13}$/), fc.constant(holder)), after: fc.oneof(anyValue, fc.integer()) },
        { requiredKeys: [] },
      ),
      fc.constantFrom(
        undefined,
        deep(200, '[', ']', '0'),
        { runId: holder, after: 1e308 },
        { runId: holder, after: -1 },
        { runId: holder, after: 2 ** 53 },
        { runId: holder.toUpperCase() },
      ),
    );
    let errors = 0;
    await fc.assert(
      fc.asyncProperty(payloads, fc.boolean(), async (payload, junkFirst) => {
        // Unacknowledged junk in between: other event names and unsubscribe garbage.
        if (junkFirst) {
          socket.emit('unsubscribe', payload);
          socket.emit('hello', payload);
          socket.emit('subscribe', payload); // no ack callback
        }
        const ack = await new Promise<any>((resolve) =>
          socket.timeout(5000).emit('subscribe', payload, (err: Error | null, reply: unknown) => resolve(err ? { timeout: true } : reply)),
        );
        assert.equal(ack?.timeout, undefined, `no ack for ${JSON.stringify(payload)?.slice(0, 200)}`);
        if (ack.ok) {
          assert.equal((payload as any).runId, holder);
          return;
        }
        errors++;
        assert.equal(ack.ok, false);
        assert.equal(typeof ack.error, 'string');
        assert.ok(ack.error.length > 0);
      }),
      { numRuns: 800, seed: 99 },
    );
    assert.ok(errors > 600, `${errors} error acks`);
    assert.equal(disconnected, false, 'the socket stayed connected');
    // Still serving: a valid subscription gets the paused run's history, and a new client connects.
    const events: unknown[] = [];
    socket.on('events', (batch: { events: unknown[] }) => events.push(...batch.events));
    const ack = await new Promise<any>((resolve) => socket.emit('subscribe', { runId: holder }, resolve));
    assert.equal(ack.ok, true);
    assert.ok(events.length > 0);
    (await connectSocket()).close();
  } finally {
    socket.close();
  }
});

test('afterwards the server answers, and the runs it created were stopped', async (t) => {
  const health = await api(base, '/api/health');
  assert.equal(health.status, 200);
  assert.equal(health.json.ok, true);
  const runs = (await api(base, '/api/runs')).json.runs;
  assert.equal(runs.length, tally.created + 1);
  assert.ok(runs.every((r: any) => r.id === holder || r.state === 'stopped'));
  assert.ok(tally.requests >= 2600, `${tally.requests} requests`);
  assert.ok(tally.created > 50 && tally.refused > 1000, JSON.stringify(tally));
  t.diagnostic(`fuzzed POST /api/runs: ${JSON.stringify(tally)}`);
  assert.equal((await api(base, `/api/runs/${holder}/stop`, { method: 'POST' })).status, 200);
});
