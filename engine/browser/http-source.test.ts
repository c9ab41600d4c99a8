// httpRangeSource against a small local HTTP server that answers single Range requests the way
// RFC 9110 says (written out here, independent of corpus-files.ts's parser).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpRangeSource, HttpSourceError } from './http-source';

const FILE = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 7 + (i >> 8)) & 255);
const requests: string[] = [];

function answer(req: IncomingMessage, res: ServerResponse) {
  const body = req.url === '/empty' ? new Uint8Array(0) : FILE;
  requests.push(`${req.url} ${req.headers.range ?? ''}`);
  if (req.url === '/missing') {
    res.writeHead(404, { 'Content-Type': 'application/json' });
    return res.end(JSON.stringify({ error: 'brown-bpe999 is not prepared on this server' }));
  }
  const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
  if (req.url === '/no-ranges' || !m) {
    res.writeHead(200, { 'Content-Length': body.length });
    return res.end(body);
  }
  const start = Number(m[1]);
  if (start >= body.length) {
    res.writeHead(416, { 'Content-Range': `bytes */${body.length}` });
    return res.end();
  }
  const end = Math.min(Number(m[2]), body.length - 1);
  res.writeHead(206, { 'Content-Range': `bytes ${start}-${end}/${body.length}`, 'Content-Length': end - start + 1 });
  res.end(body.subarray(start, end + 1));
}

const server = createServer(answer);
await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
after(() => server.close());

test('reads any window exactly, fetching only the blocks it touches, once', async () => {
  requests.length = 0;
  const src = await httpRangeSource(`${base}/train_ids.npy`, { blockSize: 4096, cacheBytes: 64 * 4096, wholeBytes: 0 });
  assert.equal(src.size, FILE.length);
  assert.equal(src.name, 'train_ids.npy');
  for (const [offset, length] of [
    [0, 10],
    [4090, 20],
    [123_456, 9000],
    [FILE.length - 5, 5],
    [77, 0],
  ]) {
    assert.deepEqual(await src.read(offset, length), FILE.subarray(offset, offset + length), `${offset}+${length}`);
  }
  const before = src.requests;
  assert.deepEqual(await src.read(4095, 2), FILE.subarray(4095, 4097)); // blocks 0 and 1: cached
  assert.equal(src.requests, before);
  // A window over three uncached blocks is one request for the three.
  await src.read(200_000, 3 * 4096);
  assert.equal(src.requests, before + 1);
  assert.ok(requests.at(-1)!.endsWith('bytes=196608-212991'), requests.at(-1));
});

test('the cache stays within cacheBytes (least recently used blocks go)', async () => {
  const src = await httpRangeSource(`${base}/t`, { blockSize: 1024, cacheBytes: 2 * 1024, wholeBytes: 0 });
  await src.read(0, 1); // block 0
  await src.read(1024, 1); // block 1
  await src.read(0, 1); // touch 0: block 1 is now the oldest
  await src.read(2048, 1); // block 2 evicts block 1
  const n = src.requests;
  await src.read(0, 1);
  assert.equal(src.requests, n, 'block 0 still cached');
  await src.read(1024, 1);
  assert.equal(src.requests, n + 1, 'block 1 was evicted');
});

test('concurrent reads of one block share its request', async () => {
  const src = await httpRangeSource(`${base}/c`, { blockSize: 8192, wholeBytes: FILE.length - 1 });
  const n = src.requests;
  const [a, b] = await Promise.all([src.read(10, 5), src.read(100, 5)]);
  assert.deepEqual([a, b], [FILE.subarray(10, 15), FILE.subarray(100, 105)]);
  assert.equal(src.requests, n + 1);
});

test('a file of up to wholeBytes is fetched whole when opened, and read from memory after', async () => {
  requests.length = 0;
  const src = await httpRangeSource(`${base}/w.npy`, { blockSize: 4096, cacheBytes: 4096 }); // 300 kB: within the default
  assert.deepEqual(requests, ['/w.npy bytes=0-0', `/w.npy bytes=0-${FILE.length - 1}`]);
  for (let i = 0; i < 200; i++) {
    const offset = (i * 104_729) % (FILE.length - 300);
    assert.deepEqual(await src.read(offset, 300), FILE.subarray(offset, offset + 300));
  }
  assert.equal(src.requests, 2, 'no request after opening');
  await assert.rejects(src.read(FILE.length - 1, 2), /runs past the end/);
});

test("errors: out-of-range reads, a missing file with the server's reason, a server without ranges", async () => {
  const src = await httpRangeSource(`${base}/x.npy`);
  await assert.rejects(src.read(FILE.length - 1, 2), /x\.npy: read of 2 bytes at offset 299999 runs past the end/);
  await assert.rejects(
    httpRangeSource(`${base}/missing`),
    (e: unknown) => e instanceof HttpSourceError && e.status === 404 && /missing: brown-bpe999 is not prepared on this server/.test(e.message),
  );
  await assert.rejects(httpRangeSource(`${base}/no-ranges`), /ignored the Range request \(HTTP 200\)/);
});

test('an empty file has size 0', async () => {
  const src = await httpRangeSource(`${base}/empty`);
  assert.equal(src.size, 0);
  assert.deepEqual(await src.read(0, 0), new Uint8Array(0));
});
