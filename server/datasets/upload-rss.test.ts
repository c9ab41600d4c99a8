// A 200 MB text upload is streamed to disk and tokenized in chunks: the server's resident memory
// (this process, which hosts the server and its job worker thread) stays under 400 MB throughout.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import { createStudioServer, type StudioServer } from '../app';
import { api, tempDir, waitFor } from '../test-support';

const TOTAL = 200 * 1024 * 1024;
const RSS_LIMIT = 400 * 1024 * 1024;

let server: StudioServer;
const dirs: Awaited<ReturnType<typeof tempDir>>[] = [];

before(async () => {
  const runs = await tempDir('studio-runs-');
  const data = await tempDir('studio-data-');
  dirs.push(runs, data);
  server = await createStudioServer({ port: 0, runsDir: runs.path, dataDir: data.path, next: false });
});

after(async () => {
  await server?.close();
  for (const dir of dirs) await dir.remove();
});

/** Sends TOTAL bytes of text lines, 1 MiB at a time, honouring backpressure. */
function sendText(path: string): Promise<{ status: number; body: string }> {
  const line = Buffer.from('the quick brown fox jumps over the lazy dog, again and again.\n');
  const chunk = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < chunk.length; i += line.length) line.copy(chunk, i, 0, Math.min(line.length, chunk.length - i));
  return new Promise((resolve, reject) => {
    const req = request(server.url + path, { method: 'POST', headers: { 'content-type': 'application/octet-stream', 'content-length': TOTAL } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    let sent = 0;
    const write = () => {
      while (sent < TOTAL) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', write);
      }
      req.end();
    };
    write();
  });
}

test('200 MB of text: uploaded, tokenized byte-level, RSS under 400 MB', { timeout: 600_000 }, async () => {
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  try {
    const t0 = performance.now();
    const res = await sendText('/api/datasets?name=big&tokenizer=byte&valid_fraction=0.01');
    assert.equal(res.status, 202, res.body);
    const uploadedAt = performance.now();
    const uploadPeak = peak;
    const { id } = JSON.parse(res.body);
    const status = await waitFor(
      'the 200 MB dataset',
      async () => {
        const s = (await api(server.url, `/api/datasets/${id}`)).json;
        return s.state !== 'tokenizing' && s;
      },
      540_000,
    );
    assert.equal(status.state, 'ready', status.error);
    assert.equal(status.train_tokens + status.valid_tokens, TOTAL);
    console.log(
      `upload ${((uploadedAt - t0) / 1000).toFixed(1)} s, tokenize ${((performance.now() - uploadedAt) / 1000).toFixed(1)} s, RSS ${(baseline / 2 ** 20).toFixed(0)} MiB before, ${(uploadPeak / 2 ** 20).toFixed(0)} MiB at most while uploading, peak ${(peak / 2 ** 20).toFixed(0)} MiB`,
    );
  } finally {
    clearInterval(sampler);
  }
  assert.ok(peak < RSS_LIMIT, `peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB`);
});
