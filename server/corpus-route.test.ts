// GET/HEAD /data/…: the corpus for browser runs, served by the studio server itself. Every reply
// says its exact length (HEAD included, JSON files too, whatever the client accepts), ranges are
// exact, names outside the allow-list and other methods are refused.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import { createStudioServer, type StudioServer } from './app';
import { tempDir } from './test-support';

let server: StudioServer;
let dirs: Awaited<ReturnType<typeof tempDir>>[] = [];

before(async () => {
  const runs = await tempDir('studio-runs-');
  const data = await tempDir('studio-data-');
  dirs = [runs, data];
  server = await createStudioServer({ port: 0, runsDir: runs.path, dataDir: data.path, next: false });
});

after(async () => {
  await server.close();
  for (const d of dirs) await d.remove();
});

/** One request (node:http, so HEAD and raw headers are what the server sent). */
function send(
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('every reply carries its exact Content-Length: GET, HEAD and ranges, binary and JSON', { timeout: 120_000 }, async () => {
  for (const file of ['meta.json', 'tokenizer.json', 'train_ids.npy', 'valid_ids.npy']) {
    const path = `/data/brown-byte/${file}`;
    const got = await send('GET', path, { 'accept-encoding': 'gzip, deflate, br' });
    assert.equal(got.status, 200, `${path}: ${got.body.toString().slice(0, 200)}`);
    assert.equal(got.headers['content-length'], String(got.body.length), `${path}: GET`);
    assert.equal(got.headers['content-encoding'], undefined);
    const head = await send('HEAD', path, { 'accept-encoding': 'gzip' });
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], String(got.body.length), `${path}: HEAD`);
    assert.equal(head.body.length, 0);
    const part = await send('GET', path, { range: 'bytes=3-9' });
    assert.equal(part.status, 206);
    assert.equal(part.headers['content-length'], '7');
    assert.equal(part.headers['content-range'], `bytes 3-9/${got.body.length}`);
    assert.deepEqual(part.body, got.body.subarray(3, 10));
  }
  const beyond = await send('GET', '/data/brown-byte/meta.json', { range: 'bytes=999999999-' });
  assert.equal(beyond.status, 416);
  assert.equal(beyond.headers['content-length'], '0');
});

test('only the allow-listed corpus files; GET and HEAD only', async () => {
  for (const path of [
    '/data/brown-byte/../../package.json',
    '/data/brown-byte/%2e%2e%2fpackage.json',
    '/data/..%2f..%2fpackage.json',
    '/data/brown-byte/train_ids.npy.tmp-1',
    '/data/pipelines/smoke.json',
    '/data/',
  ]) {
    const reply = await send('GET', path);
    assert.ok(reply.status === 404 || reply.status === 400, `${path}: ${reply.status}`);
  }
  const unprepared = await send('GET', '/data/brown-bpe999/meta.json');
  assert.equal(unprepared.status, 404);
  assert.doesNotMatch(unprepared.body.toString(), new RegExp(dirs[1].path), 'the absolute data folder is not shown');
  const post = await send('POST', '/data/brown-byte/meta.json');
  assert.equal(post.status, 405);
  assert.equal(post.headers.allow, 'GET, HEAD');
});
