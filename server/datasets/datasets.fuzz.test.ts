// Malformed dataset uploads never crash the server: generated query strings, content types and
// bodies (random bytes claimed as text, JSON Lines, Parquet or .npy; mutated real files) go to a
// real server's POST /api/datasets, and generated ids and queries to its GET, preview and DELETE
// routes. Every reply is a 2xx or a 4xx with an error message, never a 5xx; every accepted
// upload ends ready or failed with an error, and a failed one leaves only its job.json. Seeds are
// fixed, so a failure reproduces.
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createStudioServer, type StudioServer } from '../app';
import { api, tempDir, waitFor } from '../test-support';

let server: StudioServer;
let dataDir: string;
const dirs: Awaited<ReturnType<typeof tempDir>>[] = [];
let ready: string;

before(async () => {
  const runs = await tempDir('studio-runs-');
  const data = await tempDir('studio-data-');
  dirs.push(runs, data);
  dataDir = data.path;
  server = await createStudioServer({ port: 0, runsDir: runs.path, dataDir, next: false, maxDatasetUploadBytes: 64 * 1024 });
  ready = (await post('name=ok&tokenizer=byte', 'hello there\ngeneral kenobi\n')).json.id;
});

after(async () => {
  await server?.close();
  for (const dir of dirs) await dir.remove();
});

async function post(query: string, body: Uint8Array | string, type = 'application/octet-stream') {
  return api(server.url, `/api/datasets?${query}`, { method: 'POST', body: body as string, headers: { 'content-type': type } });
}

function checkReply(res: { status: number; text: string; json: any }, what: string): void {
  assert.ok((res.status >= 200 && res.status < 300) || (res.status >= 400 && res.status < 500), `${res.status} for ${what}: ${res.text.slice(0, 300)}`);
  if (res.status >= 400) assert.ok(typeof res.json?.error === 'string' && res.json.error.length > 0, `no error message for ${what}`);
}

const settled = (id: string) =>
  waitFor(
    `dataset ${id}`,
    async () => {
      const s = (await api(server.url, `/api/datasets/${id}`)).json;
      return s.state !== 'tokenizing' && s;
    },
    120_000,
  );

const KEYS = ['name', 'tokenizer', 'vocab_size', 'valid_fraction', 'format', 'field', 'x', ''];
const VALUES = fc.oneof(
  fc.constantFrom('byte', 'bpe', 'gpt2', 'txt', 'jsonl', 'parquet', 'npy', 'text', '257', '0.1', '0', '1', '-1', 'NaN', '', '1e9', '0x10', '65536', '../x'),
  fc.string({ maxLength: 12 }),
);

test('generated queries and content types: 202 or a 4xx that says why', async () => {
  const query = fc.array(fc.tuple(fc.constantFrom(...KEYS), VALUES), { maxLength: 6 }).map((pairs) => new URLSearchParams(pairs).toString());
  const type = fc.constantFrom('application/octet-stream', 'text/plain', 'application/json', '', 'application/octet-stream; charset=utf-8');
  const accepted: string[] = [];
  await fc.assert(
    fc.asyncProperty(query, type, async (q, t) => {
      const res = await post(q, 'a line of text\n', t);
      checkReply(res, `?${q} (${t})`);
      if (res.status === 202) accepted.push(res.json.id);
    }),
    { numRuns: 150, seed: 20261206 },
  );
  for (const id of accepted) {
    const status = await settled(id);
    assert.ok(status.state === 'ready' || (status.state === 'failed' && status.error), JSON.stringify(status));
  }
});

test('generated and mutated bodies in every format end ready or failed, never half-written', async () => {
  const real = {
    txt: new TextEncoder().encode('some text\nmore text\n'),
    jsonl: new TextEncoder().encode('{"text": "a"}\n{"text": "b"}\n'),
    parquet: new Uint8Array(readFileSync(new URL('../../engine/data/fixtures/parquet/alltypes_plain.snappy.parquet', import.meta.url))),
    npy: new Uint8Array(readFileSync(new URL('../../engine/data/fixtures/u2.npy', import.meta.url))),
  };
  const body = fc.oneof(
    fc.uint8Array({ minLength: 1, maxLength: 2048 }),
    fc.tuple(fc.constantFrom(...Object.values(real)), fc.nat(), fc.integer({ min: 0, max: 255 })).map(([bytes, at, value]) => {
      const out = bytes.slice();
      out[at % out.length] = value; // one byte flipped
      return out;
    }),
    fc.tuple(fc.constantFrom(...Object.values(real)), fc.nat()).map(([bytes, cut]) => bytes.slice(0, 1 + (cut % bytes.length))), // truncated
  );
  const format = fc.constantFrom('format=txt', 'format=jsonl&field=text', 'format=parquet&field=string_col', 'format=npy&tokenizer=gpt2');
  const ids: string[] = [];
  await fc.assert(
    fc.asyncProperty(body, format, async (b, f) => {
      const res = await post(`name=fuzz&${f}${f.includes('tokenizer') ? '' : '&tokenizer=byte'}`, b);
      checkReply(res, `${f} (${b.length} bytes)`);
      if (res.status === 202) ids.push(res.json.id);
    }),
    { numRuns: 40, seed: 7 },
  );
  for (const id of ids) {
    const status = await settled(id);
    const files = readdirSync(join(dataDir, 'datasets', id)).sort();
    if (status.state === 'failed') {
      assert.ok(status.error, id);
      assert.deepEqual(files, ['job.json']);
    } else {
      assert.equal(status.state, 'ready');
      assert.deepEqual(files, ['meta.json', 'tokenizer.json', 'train_ids.npy', 'valid_ids.npy']);
    }
  }
});

test('generated ids and preview queries: 200, 404 or 4xx, never a 5xx', async () => {
  assert.equal((await settled(ready)).state, 'ready');
  const id = fc.oneof(
    fc.constant(ready),
    fc.constantFrom('brown-byte', 'ds-000000000000', '..', '%2e%2e', 'ds-', 'brown-bpe1', '%00'),
    fc.string({ maxLength: 20 }).map(encodeURIComponent),
  );
  const query = fc
    .array(
      fc.tuple(
        fc.constantFrom('split', 'offset', 'length', 'x'),
        fc.oneof(fc.constantFrom('train', 'valid', '0', '5', '4096', '4097', '-1', '1e3', '99999999999'), fc.string({ maxLength: 6 })),
      ),
      { maxLength: 4 },
    )
    .map((pairs) => new URLSearchParams(pairs).toString());
  await fc.assert(
    fc.asyncProperty(id, query, fc.constantFrom('GET', 'preview', 'cancel'), async (i, q, route) => {
      const path = route === 'GET' ? `/api/datasets/${i}` : route === 'preview' ? `/api/datasets/${i}/preview?${q}` : `/api/datasets/${i}/cancel`;
      const res = await api(server.url, path, { method: route === 'cancel' ? 'POST' : 'GET' });
      checkReply(res, path);
    }),
    { numRuns: 200, seed: 11 },
  );
  assert.equal((await api(server.url, `/api/datasets/${ready}`)).json.state, 'ready', 'the ready dataset is untouched');
});
