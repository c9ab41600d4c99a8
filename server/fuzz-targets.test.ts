// Malformed request targets and bodies at every route of a real server: targets that are not a
// path on this server ('//a:99999/…', '/\a:1/…', '*', absolute-form) or whose percent-encoding does
// not decode ('%ff', a lone '%', overlong UTF-8) get a 400 before any handler sees them; odd but
// valid encodings get an answer below 500; JSON nested deeper than the server parses, in every JSON
// body and in checkpoint metadata, gets a 400; a client leaving mid-body is not a server error.
// Deeply nested socket messages get an error ack. The server must never throw, exit or log for
// any of it. Requests go over raw sockets, so the target reaches the server byte for byte.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { io } from 'socket.io-client';
import { createStudioServer, type StudioServer } from './app';
import { META_LENGTH_HEADER } from './checkpoint-upload';
import { MAX_JSON_DEPTH } from './json-depth';
import { api, smokePipeline, tempDir, waitFor } from './test-support';

let server: StudioServer;
let dirs: Awaited<ReturnType<typeof tempDir>>[] = [];
/** A browser run that records (takes events and checkpoints), and a finished node run with a checkpoint. */
let browserRun: string;
let nodeRun: string;
/** The node run's ckpt-000010: metadata (parsed) and weights. */
let checkpoint: { meta: Record<string, unknown>; weights: Buffer };
/** What the server logged: it must stay empty, client input is never a server error. */
const logged: unknown[][] = [];
const consoleError = console.error;
const tally = { requests: 0, malformed: 0 };

before(async () => {
  const runs = await tempDir('studio-runs-');
  const data = await tempDir('studio-data-');
  dirs = [runs, data];
  server = await createStudioServer({ port: 0, runsDir: runs.path, dataDir: data.path, next: false });
  nodeRun = (await api(server.url, '/api/runs', { json: { pipeline: smokePipeline(), steps: 10, backend: 'cpu' } })).json.id;
  await waitFor('the node run to finish', async () => (await api(server.url, `/api/runs/${nodeRun}`)).json.state === 'completed', 60_000);
  browserRun = (await api(server.url, '/api/runs', { json: { pipeline: smokePipeline(), executor: 'browser' } })).json.id;
  const file = (ext: string) => fetch(`${server.url}/api/runs/${nodeRun}/checkpoints/ckpt-000010${ext}`).then((r) => r.arrayBuffer());
  checkpoint = { meta: JSON.parse(Buffer.from(await file('.json')).toString('utf8')), weights: Buffer.from(await file('.safetensors')) };
  console.error = (...args: unknown[]) => void logged.push(args);
});

after(async () => {
  console.error = consoleError;
  await server.close();
  for (const d of dirs) await d.remove();
});

/** Sends one request as raw bytes and reads the status code of the reply (0: the connection closed without one). */
function raw(
  method: string,
  target: string,
  options: { headers?: Record<string, string>; body?: Buffer | string } = {},
): Promise<{ status: number; text: string }> {
  const body = options.body === undefined ? undefined : Buffer.from(options.body);
  const headers = { host: `127.0.0.1:${server.port}`, connection: 'close', ...(body ? { 'content-length': String(body.length) } : {}), ...options.headers };
  const head = `${method} ${target} HTTP/1.1\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text: text.slice(text.indexOf('\r\n\r\n') + 4) });
    });
    socket.end(body ? Buffer.concat([Buffer.from(head, 'latin1'), body]) : Buffer.from(head, 'latin1'));
  });
}

/** Every route of the server (API, socket.io, the app's pages and files), with real ids where they take one. */
function routes(): [method: string, path: string][] {
  const run = `/api/runs/${nodeRun}`;
  return [
    ['GET', '/api/health'],
    ['GET', '/api/runs'],
    ['POST', '/api/runs'],
    ['POST', '/api/checkpoints'],
    ['GET', '/api/checkpoints/0000000000000'],
    ['GET', '/api/executors'],
    ['POST', '/api/export/torch'],
    ['GET', run],
    ['POST', `/api/runs/${browserRun}/events`],
    ['POST', `/api/runs/${browserRun}/checkpoints`],
    ['POST', `${run}/pause`],
    ['POST', `${run}/resume`],
    ['POST', `${run}/stop`],
    ['GET', `${run}/log`],
    ['GET', `${run}/samples`],
    ['GET', `${run}/pipeline`],
    ['GET', `${run}/events`],
    ['GET', `${run}/checkpoints`],
    ['GET', `${run}/prompts`],
    ['GET', `${run}/checkpoints/ckpt-000010.json`],
    ['GET', '/socket.io/?EIO=4&transport=polling'],
    ['GET', '/data/brown-byte/meta.json'],
    ['GET', '/tfjs-wasm/tfjs-backend-wasm.wasm'],
    ['GET', '/'],
    ['GET', `/runs/${nodeRun}`],
  ];
}

/** Targets that are not a path on this server, or do not percent-decode: each must get a 400. */
function malformed(path: string): string[] {
  const [pathname, query] = path.split('?');
  const last = pathname.lastIndexOf('/');
  return [
    `//a:99999${path}`,
    `/\\a:99999${path}`,
    `//example.org${path}`,
    `/\\example.org${path}`,
    `http://127.0.0.1${path}`,
    '*',
    `${pathname}%`,
    `${pathname}%ff`,
    `${pathname}/%zz`,
    `${pathname.slice(0, last)}/%c0%af${pathname.slice(last + 1)}`,
    `${pathname}%e2%82`,
    `${pathname}?${query ? `${query}&` : ''}x=%`,
    `${pathname}?${query ? `${query}&` : ''}token=%ff`,
  ];
}

/** Odd but well-formed encodings: any answer below 500. */
function oddButValid(path: string): string[] {
  const [pathname] = path.split('?');
  return [
    `${pathname}%00`,
    `${pathname}/%2e%2e/%2e%2e/package.json`,
    pathname.replace(/\//g, '%2f').replace(/^%2f/, '/'),
    `${pathname}%20`,
    `${pathname}/..%2f..%2fetc%2fpasswd`,
    pathname.toUpperCase(),
  ];
}

test('malformed request targets at every route: 400 with a JSON error, nothing logged, nothing thrown', async () => {
  for (const [method, path] of routes()) {
    for (const target of malformed(path)) {
      const reply = await raw(method, target, method === 'POST' ? { headers: { 'content-type': 'application/json' }, body: '{}' } : {});
      tally.requests++;
      tally.malformed++;
      assert.equal(reply.status, 400, `${method} ${target}: ${reply.status} ${reply.text.slice(0, 200)}`);
      assert.match(JSON.parse(reply.text).error, /request target/, target);
    }
  }
  assert.deepEqual(logged, []);
});

test('odd but valid percent-encodings at every route: answered below 500', async () => {
  for (const [method, path] of routes()) {
    for (const target of oddButValid(path)) {
      const reply = await raw(method, target, method === 'POST' ? { headers: { 'content-type': 'application/json' }, body: '{}' } : {});
      tally.requests++;
      assert.ok(reply.status >= 200 && reply.status < 500, `${method} ${target}: ${reply.status} ${reply.text.slice(0, 200)}`);
    }
  }
  assert.deepEqual(logged, []);
});

/** `depth` arrays inside one another, as JSON text. */
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

test(`JSON nested deeper than ${MAX_JSON_DEPTH} levels, in every JSON body and in checkpoint metadata: 400`, async () => {
  const bodies: [path: string, wrap: (deep: string) => string][] = [
    ['/api/runs', (deep) => `{"pipeline":{"version":1,"nodes":${deep},"edges":[]}}`],
    ['/api/runs', (deep) => deep],
    ['/api/export/torch', (deep) => `{"pipeline":{"meta":${deep}}}`],
    [`/api/runs/${browserRun}/events`, (deep) => `{"seq":1,"events":[{"type":"node/notice","nodeId":"log","data":{"message":"x","more":${deep}}}]}`],
  ];
  const checkpointUploads = ['/api/checkpoints', `/api/runs/${browserRun}/checkpoints`];
  for (const depth of [MAX_JSON_DEPTH + 1, 5_000, 100_000]) {
    for (const [path, wrap] of bodies) {
      const reply = await raw('POST', path, { headers: { 'content-type': 'application/json' }, body: wrap(nested(depth)) });
      tally.requests++;
      assert.equal(reply.status, 400, `${path} at depth ${depth}: ${reply.status} ${reply.text.slice(0, 200)}`);
      assert.match(JSON.parse(reply.text).error, new RegExp(`more than ${MAX_JSON_DEPTH} levels deep`));
    }
    for (const path of checkpointUploads) {
      // A real checkpoint of the run's model, with a deep field added to its metadata.
      const meta = Buffer.from(JSON.stringify(checkpoint.meta).replace(/^\{/, `{"notes":${nested(depth)},`));
      const reply = await raw('POST', path, {
        headers: { 'content-type': 'application/octet-stream', [META_LENGTH_HEADER]: String(meta.length) },
        body: Buffer.concat([meta, checkpoint.weights]),
      });
      tally.requests++;
      assert.equal(reply.status, 400, `${path} with metadata at depth ${depth}: ${reply.status} ${reply.text.slice(0, 200)}`);
      assert.match(JSON.parse(reply.text).error, new RegExp(`more than ${MAX_JSON_DEPTH} levels deep`));
    }
  }
  // Just inside the limit, the document is read and judged on its content (a 4xx, not the depth).
  const inside = await raw('POST', '/api/runs', {
    headers: { 'content-type': 'application/json' },
    body: `{"pipeline":{"version":1,"nodes":[],"edges":[],"meta":${nested(MAX_JSON_DEPTH - 2)}}}`,
  });
  assert.equal(inside.status, 400);
  assert.doesNotMatch(JSON.parse(inside.text).error, /levels deep/);
  assert.deepEqual(logged, []);
});

test('deeply nested socket messages get an error ack on a socket that stays connected', async () => {
  const socket = io(server.url, { transports: ['websocket'], forceNew: true, reconnection: false });
  try {
    await new Promise<void>((resolve, reject) => socket.once('connect', () => resolve()).once('connect_error', reject));
    // Written as raw socket.io packets (EVENT with an ack id): the client library cannot encode this deep.
    const payloads = [nested(100_000), `{"runId":${nested(50_000)}}`, `{"runId":"${nodeRun}","after":${nested(50_000)}}`];
    for (const [i, payload] of payloads.entries()) {
      const id = 100 + i;
      const ack = new Promise<string>((resolve) => {
        const onMessage = (data: unknown) => {
          if (typeof data !== 'string' || !data.startsWith(`3${id}[`)) return;
          socket.io.engine.off('message', onMessage);
          resolve(data.slice(String(id).length + 1));
        };
        socket.io.engine.on('message', onMessage);
      });
      socket.io.engine.send(`2${id}["subscribe",${payload}]`);
      const [reply] = JSON.parse(await ack);
      tally.requests++;
      assert.equal(reply.ok, false, JSON.stringify(reply));
      assert.equal(typeof reply.error, 'string');
    }
    assert.ok(socket.connected);
  } finally {
    socket.close();
  }
  assert.deepEqual(logged, []);
});

test('a client that leaves mid-body is not logged as a server error', async () => {
  for (const [path, type] of [
    ['/api/runs', 'application/json'],
    ['/api/checkpoints', 'application/octet-stream'],
    [`/api/runs/${browserRun}/events`, 'application/json'],
  ]) {
    await new Promise<void>((resolve, reject) => {
      const socket = connect(server.port, '127.0.0.1', () => {
        socket.write(
          `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1:${server.port}\r\ncontent-type: ${type}\r\n${META_LENGTH_HEADER}: 2\r\ncontent-length: 100000\r\n\r\n{"pipe`,
        );
        setTimeout(() => socket.destroy(), 100);
      });
      socket.on('close', () => resolve());
      socket.on('error', reject);
    });
  }
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(logged, []);
  assert.equal((await api(server.url, '/api/health')).status, 200);
});

test('afterwards the server answers', async (t) => {
  assert.equal((await api(server.url, '/api/health')).status, 200);
  t.diagnostic(`request-target fuzz: ${JSON.stringify(tally)}`);
});
