// The dataset library through the API and the socket: uploads of text (byte and BPE), JSON Lines
// and Parquet become ready datasets with their stats and a preview; a run trains on one and its
// loss falls; every bad input ends as a 4xx or a failed dataset with a clear error, never as a
// ready one; cancel, delete (refused while a run reads it) and a restart mid-job.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { io } from 'socket.io-client';
import { DEFAULT_PYTHON, detectTorch } from '../../engine/node/torch-launch';
import { createStudioServer, type StudioServer } from '../app';
import { api, smokePipeline, tempDir, waitFor } from '../test-support';

let server: StudioServer;
let dataDir: string;
let runsDir: string;
const dirs: Awaited<ReturnType<typeof tempDir>>[] = [];
const MAX = 4 * 1024 * 1024;

/** English-like lines from a small word list, so BPE and the model have something to learn. */
function words(lines: number, seed = 1): string {
  const vocab = [
    'the',
    'cat',
    'sat',
    'on',
    'a',
    'mat',
    'and',
    'the',
    'dog',
    'ran',
    'far',
    'away',
    'to',
    'the',
    'sea',
    'while',
    'quick',
    'brown',
    'foxes',
    'jumped',
    'over',
    'lazy',
    'hounds',
    'in',
    'winter',
    'morning',
    'light',
    'of',
    'old',
    'northern',
    'harbours',
  ];
  let x = seed;
  const next = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return (
    Array.from(
      { length: lines },
      () => Array.from({ length: 4 + Math.floor(next() * 6) }, () => vocab[Math.floor(next() * vocab.length)]).join(' ') + '.',
    ).join('\n') + '\n'
  );
}

async function upload(query: string, body: Uint8Array | string, headers: Record<string, string> = {}) {
  return api(server.url, `/api/datasets?${query}`, {
    method: 'POST',
    body: body as string,
    headers: { 'content-type': 'application/octet-stream', ...headers },
  });
}

async function uploaded(query: string, body: Uint8Array | string): Promise<string> {
  const res = await upload(query, body);
  assert.equal(res.status, 202, res.text);
  assert.match(res.json.id, /^ds-[0-9a-f]{12}$/);
  return res.json.id;
}

/** A run's status once final (a run worker takes seconds to start on a busy machine). */
const finalStatus = (url: string, id: string) =>
  waitFor(
    `run ${id} to end`,
    async () => {
      const status = (await api(url, `/api/runs/${id}`)).json;
      return !['queued', 'running', 'paused'].includes(status?.state) && status;
    },
    180_000,
  );

/** Submits a run, waits for it to complete, and checks its mean loss over the last 5 steps fell by 0.5 nats. */
async function trainsAndLossFalls(submission: object): Promise<void> {
  const run = (await api(server.url, '/api/runs', { json: submission })).json;
  const final = await finalStatus(server.url, run.id);
  assert.equal(final.state, 'completed', JSON.stringify(final));
  const losses = (await readFile(join(runsDir, run.id, 'train_log.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((r) => r.loss !== undefined)
    .map((r) => r.loss);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  assert.ok(mean(losses.slice(-5)) < mean(losses.slice(0, 5)) - 0.5, `loss fell: ${losses.slice(0, 5)} -> ${losses.slice(-5)}`);
}

let bpeId: string | undefined;

/** The dataset once its job has ended (ready or failed). */
const settled = (id: string) =>
  waitFor(
    `dataset ${id} to settle`,
    async () => {
      const status = (await api(server.url, `/api/datasets/${id}`)).json;
      return status.state !== 'tokenizing' && status;
    },
    60_000,
  );

before(async () => {
  const runs = await tempDir('studio-runs-');
  const data = await tempDir('studio-data-');
  dirs.push(runs, data);
  runsDir = runs.path;
  dataDir = data.path;
  server = await createStudioServer({ port: 0, runsDir, dataDir, next: false, maxDatasetUploadBytes: MAX, flushMs: 20 });
});

after(async () => {
  await server?.close();
  for (const dir of dirs) await dir.remove();
});

test('a text file, byte-level: progress on the socket, then ready with its stats and a decoded preview', async () => {
  const text = words(3000);
  const socket = io(server.url, { transports: ['websocket'], forceNew: true, reconnection: false });
  const seen: any[] = [];
  socket.on('datasets', (status) => seen.push(status));
  await new Promise<void>((resolve) => socket.on('connect', () => resolve()));
  const id = await uploaded('name=words&tokenizer=byte&valid_fraction=0.1', text);
  const status = await settled(id);
  socket.close();
  const bytes = Buffer.byteLength(text);
  assert.equal(status.state, 'ready', status.error);
  assert.equal(status.name, 'words');
  assert.equal(status.vocab_size, 256);
  assert.equal(status.train_tokens + status.valid_tokens, bytes);
  assert.ok(Math.abs(status.valid_tokens / bytes - 0.1) < 0.01);
  assert.equal(status.bytes_per_token, 1);
  assert.ok(status.unigram_entropy > 1 && status.unigram_entropy < Math.log(256));
  assert.ok(
    seen.some((s) => s.id === id && s.state === 'tokenizing'),
    'a tokenizing status arrived',
  );
  assert.equal(seen.filter((s) => s.id === id).at(-1).state, 'ready');
  // Only the dataset's files are left: the upload and job.json are gone once it is ready.
  assert.deepEqual(readdirSync(join(dataDir, 'datasets', id)).sort(), ['meta.json', 'tokenizer.json', 'train_ids.npy', 'valid_ids.npy']);

  const preview = (await api(server.url, `/api/datasets/${id}/preview?split=train&offset=4&length=20`)).json;
  assert.deepEqual(preview.ids, Array.from(Buffer.from(text).subarray(4, 24)));
  assert.equal(preview.text, text.slice(4, 24));
  assert.equal(preview.tokens.join(''), text.slice(4, 24));
  assert.equal(preview.total, status.train_tokens);
  const list = (await api(server.url, '/api/datasets')).json.datasets;
  assert.ok(list.some((d: any) => d.id === id && d.state === 'ready'));
  assert.ok(
    list.some((d: any) => d.id === 'brown-byte' && d.bundled),
    'the bundled corpus is listed',
  );
});

test('BPE on the upload, then a run on it through source "library": the loss falls', async () => {
  const id = await uploaded('name=bpe-words&tokenizer=bpe&vocab_size=300', words(4000, 3));
  bpeId = id;
  const status = await settled(id);
  assert.equal(status.state, 'ready', status.error);
  assert.equal(status.vocab_size, 300);
  assert.ok(status.bytes_per_token > 1.5, `BPE packs ${status.bytes_per_token} bytes per token`);
  const pipeline = smokePipeline((doc) => {
    doc.training.steps = 30;
    Object.assign(doc.nodes.find((n: any) => n.id === 'dataset').params, { source: 'library', dataset: id });
    doc.nodes.find((n: any) => n.id === 'model').params.vocab_size = 300;
  });
  await trainsAndLossFalls({ pipeline });
  // A model too small for the vocabulary is told how big it must be.
  const small = smokePipeline((doc) => {
    Object.assign(doc.nodes.find((n: any) => n.id === 'dataset').params, { source: 'library', dataset: id });
    doc.nodes = doc.nodes.filter((n: any) => n.id !== 'sample'); // its prompt would fail first
    doc.edges = doc.edges.filter((e: any) => !JSON.stringify(e).includes('"sample"'));
  });
  const refused = await finalStatus(server.url, (await api(server.url, '/api/runs', { json: { pipeline: small } })).json.id);
  assert.equal(refused.state, 'failed');
  assert.equal(refused.error.nodeId, 'model');
  assert.match(refused.error.message, /is 256, but dataset's data contains token id 299; use at least 300/);
});

test('the torch executor trains on the same library dataset', async (t) => {
  if (!(await detectTorch(DEFAULT_PYTHON)).available) return t.skip('no PyTorch on this machine');
  assert.ok(bpeId, 'the BPE dataset of the test before');
  const pipeline = smokePipeline((doc) => {
    doc.training.steps = 30;
    Object.assign(doc.nodes.find((n: any) => n.id === 'dataset').params, { source: 'library', dataset: bpeId });
    doc.nodes.find((n: any) => n.id === 'model').params.vocab_size = 300;
  });
  await trainsAndLossFalls({ pipeline, executor: 'torch', torch: { device: 'cpu' } });
});

test("JSONL written by Python's json and a Parquet file from the Parquet test suite", async () => {
  const jsonl = execFileSync('/usr/bin/python3', [
    '-c',
    `import json
for i in range(200): print(json.dumps({'id': i, 'body': 'record %d: naïve café ☕' % i}))`,
  ]);
  const id = await uploaded('name=py&tokenizer=byte&format=jsonl&field=body&valid_fraction=0', jsonl);
  const status = await settled(id);
  assert.equal(status.state, 'ready', status.error);
  const expected = Array.from({ length: 200 }, (_, i) => `record ${i}: naïve café ☕\n`).join('');
  assert.equal(status.train_tokens, Buffer.byteLength(expected));
  assert.equal((await api(server.url, `/api/datasets/${id}/preview?length=40`)).json.text, Buffer.from(expected).subarray(0, 40).toString());

  const parquet = readFileSync(new URL('../../engine/data/fixtures/parquet/delta_byte_array.parquet', import.meta.url));
  const pid = await uploaded('name=customers&tokenizer=byte&format=parquet&field=c_email_address', parquet);
  const pstatus = await settled(pid);
  assert.equal(pstatus.state, 'ready', pstatus.error);
  assert.match((await api(server.url, `/api/datasets/${pid}/preview?length=31`)).json.text, /^Mark\.Bailey@rg9qCNVJ0s7qeY\.com\n/);
});

test('refused before tokenizing: a bad query, the wrong content type, too large (declared or counted), empty', async () => {
  const before = readdirSync(join(dataDir, 'datasets')).sort();
  const cases: [string, number, RegExp][] = [
    ['tokenizer=byte', 400, /name/],
    ['name=x&tokenizer=sentencepiece', 400, /tokenizer/],
    ['name=x&tokenizer=byte&vocab_size=300', 400, /vocab_size: only for tokenizer bpe/],
    ['name=x&tokenizer=bpe&vocab_size=12', 400, /vocab_size/],
    ['name=x&tokenizer=byte&valid_fraction=0.9', 400, /valid_fraction/],
    ['name=x&tokenizer=byte&valid_fraction=1e-1', 400, /valid_fraction/],
    ['name=x&tokenizer=byte&field=text', 400, /field: only for format jsonl or parquet/],
    ['name=x&tokenizer=byte&format=csv', 400, /format/],
    ['name=x&tokenizer=byte&path=/etc/passwd', 400, /unknown query parameter "path"/],
    ['name=x&name=y&tokenizer=byte', 400, /more than once/],
    ['name=a%00b&tokenizer=byte', 400, /control characters/],
  ];
  for (const [query, status, message] of cases) {
    const res = await upload(query, 'some text\n');
    assert.equal(res.status, status, query);
    assert.match(`${res.json.error} ${JSON.stringify(res.json.errors ?? [])}`, message, query);
  }
  const json = await api(server.url, '/api/datasets?name=x&tokenizer=byte', { json: { text: 'hi' } });
  assert.equal(json.status, 415);
  const empty = await upload('name=x&tokenizer=byte', '');
  assert.equal(empty.status, 400);
  assert.match(empty.json.error, /the file is empty/);
  const declared = await upload('name=x&tokenizer=byte', new Uint8Array(MAX + 1));
  assert.equal(declared.status, 413);
  assert.match(declared.json.error, /4 MiB.*MAX_DATASET_UPLOAD_BYTES/);
  // Chunked, no content-length: counted as it arrives and cut off past the limit.
  const counted = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      `${server.url}/api/datasets?name=big&tokenizer=byte`,
      { method: 'POST', headers: { 'content-type': 'application/octet-stream' } },
      (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      },
    );
    req.on('error', reject);
    const chunk = Buffer.alloc(256 * 1024, 'a');
    let sent = 0;
    const write = () => {
      while (sent < MAX + chunk.length * 2) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', write);
      }
      req.end();
    };
    write();
  });
  assert.equal(counted.status, 413, counted.body);
  assert.deepEqual(readdirSync(join(dataDir, 'datasets')).sort(), before, 'nothing of the refused uploads is left');
});

test('failed, never ready: binary text, bad JSONL, a missing Parquet column, float .npy, ids beyond uint16', async () => {
  const parquet = readFileSync(new URL('../../engine/data/fixtures/parquet/alltypes_plain.snappy.parquet', import.meta.url));
  const floats = readFileSync(new URL('../../engine/data/fixtures/f4.npy', import.meta.url));
  const big = execFileSync('/usr/bin/python3', [
    '-c',
    `import numpy as np, sys, io
b = io.BytesIO(); np.save(b, np.array([5, 70000], dtype=np.uint32)); sys.stdout.buffer.write(b.getvalue())`,
  ]);
  const cases: [string, Uint8Array | string, RegExp][] = [
    ['name=bin&tokenizer=byte', new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00, 0x00]), /not a text file: byte 6 is NUL/],
    ['name=j&tokenizer=byte&format=jsonl', '{"text": "ok"}\nnot json\n', /line 2 is not valid JSON/],
    ['name=j&tokenizer=byte&format=jsonl&field=body', '{"text": "ok"}\n', /line 1 has no field "body"/],
    ['name=p&tokenizer=byte&format=parquet&field=text', parquet, /no column "text" \(columns: id, bool_col/],
    ['name=n&tokenizer=byte&format=npy', floats, /must be integers, got dtype '<f4'/],
    ['name=n&tokenizer=bpe&vocab_size=1024&format=npy', big, /id 70000 at index 1 is outside the vocabulary \(0\.\.1023\)/],
  ];
  for (const [query, body, message] of cases) {
    const id = await uploaded(query, body);
    const status = await settled(id);
    assert.equal(status.state, 'failed', query);
    assert.match(status.error, message, query);
    assert.deepEqual(readdirSync(join(dataDir, 'datasets', id)), ['job.json'], 'only the failed job is kept');
    const preview = await api(server.url, `/api/datasets/${id}/preview`);
    assert.equal(preview.status, 409);
    // A run pointed at it fails on the dataset node with the dataset's error.
    const pipeline = smokePipeline((doc) => Object.assign(doc.nodes.find((n: any) => n.id === 'dataset').params, { source: 'library', dataset: id }));
    if (query.startsWith('name=bin')) {
      const run = await finalStatus(server.url, (await api(server.url, '/api/runs', { json: { pipeline } })).json.id);
      assert.equal(run.state, 'failed');
      assert.match(JSON.stringify(run), /bin failed to tokenize: this is not a text file/);
    }
  }
  // Invalid UTF-8 is replaced (and counted), not refused.
  const id = await uploaded('name=latin1&tokenizer=byte&valid_fraction=0', new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x0a]));
  const status = await settled(id);
  assert.equal(status.state, 'ready');
  assert.equal((await api(server.url, `/api/datasets/${id}/preview`)).json.text, 'caf\uFFFD\n');
  assert.equal(JSON.parse(readFileSync(join(dataDir, 'datasets', id, 'meta.json'), 'utf8')).invalid_utf8_replaced, 1);
});

test('cancel a running job; delete: 404, 403 for the bundled corpus, 409 while a run reads it, then gone', async () => {
  const slow = await uploaded('name=slow&tokenizer=bpe&vocab_size=4000', words(60_000, 9));
  await waitFor('the job to start', async () => (await api(server.url, `/api/datasets/${slow}`)).json.progress);
  const cancelled = await api(server.url, `/api/datasets/${slow}/cancel`, { method: 'POST' });
  assert.equal(cancelled.status, 200);
  assert.equal(cancelled.json.state, 'failed');
  assert.equal(cancelled.json.error, 'cancelled');
  assert.deepEqual(readdirSync(join(dataDir, 'datasets', slow)), ['job.json']);
  assert.equal((await api(server.url, `/api/datasets/${slow}/cancel`, { method: 'POST' })).status, 409);

  assert.equal((await api(server.url, '/api/datasets/ds-000000000000', { method: 'DELETE' })).status, 404);
  assert.equal((await api(server.url, '/api/datasets/..%2F..%2Fetc', { method: 'DELETE' })).status, 404);
  assert.equal((await api(server.url, '/api/datasets/brown-byte', { method: 'DELETE' })).status, 403);
  const id = await uploaded('name=used&tokenizer=byte', words(2000, 5));
  assert.equal((await settled(id)).state, 'ready');
  const pipeline = smokePipeline((doc) => {
    doc.training.steps = 100_000;
    Object.assign(doc.nodes.find((n: any) => n.id === 'dataset').params, { source: 'library', dataset: id });
  });
  const run = (await api(server.url, '/api/runs', { json: { pipeline } })).json;
  const refused = await api(server.url, `/api/datasets/${id}`, { method: 'DELETE' });
  assert.equal(refused.status, 409);
  assert.deepEqual(refused.json.runs, [run.id]);
  await api(server.url, `/api/runs/${run.id}/stop`, { method: 'POST' });
  await finalStatus(server.url, run.id);
  assert.equal((await api(server.url, `/api/datasets/${id}`, { method: 'DELETE' })).status, 200);
  assert.equal((await api(server.url, `/api/datasets/${id}`)).status, 404);
  assert.ok(!readdirSync(join(dataDir, 'datasets')).includes(id));
});

test('a restart mid-job leaves the dataset failed, with nothing half-written listed as ready', async () => {
  const data = await tempDir('studio-data-restart-');
  dirs.push(data);
  const dir = join(data.path, 'datasets', 'ds-0123456789ab');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'job.json'),
    JSON.stringify({ name: 'half', tokenizer: 'byte', valid_fraction: 0.1, format: 'txt', state: 'tokenizing', created: new Date().toISOString() }),
  );
  writeFileSync(join(dir, 'train_ids.npy.part'), 'half written');
  writeFileSync(join(dir, 'upload.txt'), 'the upload');
  mkdirSync(join(data.path, 'datasets', 'ds-ffffffffffff')); // died before its job.json
  const restarted = await createStudioServer({ port: 0, runsDir, dataDir: data.path, next: false });
  try {
    const status = (await api(restarted.url, '/api/datasets/ds-0123456789ab')).json;
    assert.equal(status.state, 'failed');
    assert.match(status.error, /server stopped before this dataset was tokenized/);
    assert.deepEqual(readdirSync(dir), ['job.json']);
    assert.equal((await api(restarted.url, '/api/datasets/ds-ffffffffffff')).status, 404);
  } finally {
    await restarted.close();
  }
});
