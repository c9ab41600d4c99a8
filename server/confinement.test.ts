// Every path a request can name stays inside the server's folders: dataset files of a submitted
// pipeline (absolute, `..` or a symbolic link out of DATA_DIR), run ids, upload ids and checkpoint
// names in URLs (resume takes none: it continues from the run's own newest listed checkpoint), and the
// export endpoint's body is size-limited like a submission.
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { encodeNpy } from '../engine/data/npy';
import { createStudioServer, type StudioServer } from './app';
import { api, smokePipeline, tempDir, waitFor } from './test-support';

let server: StudioServer;
let dirs: Awaited<ReturnType<typeof tempDir>>[] = [];
let outside: string;

before(async () => {
  const runs = await tempDir('studio-runs-');
  const data = await tempDir('studio-data-');
  const secret = await tempDir('studio-secret-');
  dirs = [runs, data, secret];
  outside = join(secret.path, 'ids.npy');
  writeFileSync(outside, encodeNpy(new Uint16Array(4096).map((_, i) => i % 200)));
  mkdirSync(join(data.path, 'set'));
  symlinkSync(outside, join(data.path, 'set', 'link.npy'));
  server = await createStudioServer({ port: 0, runsDir: runs.path, dataDir: data.path, next: false, maxBodyBytes: 64 * 1024 });
});

after(async () => {
  await server.close();
  for (const d of dirs) await d.remove();
});

const withFiles = (train: string) =>
  smokePipeline((doc) => {
    doc.nodes.find((n: any) => n.id === 'dataset').params = { source: 'files', tokenizer: 'byte', train_path: train, valid_path: train };
  });

test('a node run cannot read dataset files outside DATA_DIR: absolute, .. or a symlink out', async () => {
  for (const path of [outside, `../${outside.split('/').slice(-2).join('/')}`, '../../../../../../etc/hostname', 'set/link.npy']) {
    const submitted = await api(server.url, '/api/runs', { json: { pipeline: withFiles(path), backend: 'cpu', steps: 2 } });
    assert.equal(submitted.status, 201, submitted.text);
    const status = await waitFor(`run on ${path} to end`, async () => {
      const s = (await api(server.url, `/api/runs/${submitted.json.id}`)).json;
      return ['completed', 'failed'].includes(s.state) && s;
    });
    assert.equal(status.state, 'failed', path);
    assert.equal(status.error.nodeId, 'dataset', path);
    assert.match(status.error.message, /train_path: .* is outside the data folders this server reads/, path);
  }
});

test('run ids and checkpoint names in URLs are validated before they reach the disk', async () => {
  for (const id of ['..', '..%2F..%2Fetc', '%2e%2e', 'ABCDEFGHIJKLM', '0000000000000']) {
    // The client resolves '..' and '%2e%2e' first: /api/runs/../checkpoints is /api/checkpoints (uploads: POST only, 405).
    assert.equal((await api(server.url, `/api/runs/${id}/checkpoints`)).status, ['..', '%2e%2e'].includes(id) ? 405 : 404, id);
    assert.equal((await api(server.url, `/api/runs/${id}/resume`, { method: 'POST' })).status, 404, id);
    assert.equal((await api(server.url, `/api/checkpoints/${id}`)).status, 404, `upload ${id}`);
  }
  const { id } = (await api(server.url, '/api/runs', { json: { pipeline: smokePipeline(), steps: 1, backend: 'cpu' } })).json;
  await waitFor('the run to end', async () => ['completed', 'failed'].includes((await api(server.url, `/api/runs/${id}`)).json.state));
  for (const name of ['%2e%2e', '.json', '..%2Fstatus.json', '%2e%2e%2fstatus', '.hidden', 'a%00b']) {
    const reply = await api(server.url, `/api/runs/${id}/checkpoints/${name}`);
    assert.ok([400, 404].includes(reply.status), `${name}: ${reply.status}`);
    assert.doesNotMatch(reply.text, /"state"/, `${name} served status.json`);
  }
  assert.equal((await api(server.url, `/api/runs/${id}/checkpoints/status`)).status, 404, 'a file of the run that is not a checkpoint');
  assert.equal((await api(server.url, `/api/runs/${id}/checkpoints/ckpt-000001`)).status, 200);
});

test('the export endpoint limits its body like a submission', async () => {
  const huge = await api(server.url, '/api/export/torch', { json: { pipeline: { padding: 'x'.repeat(100 * 1024) } } });
  assert.equal(huge.status, 413);
  // Chunked, without content-length: counted as it arrives.
  const chunked = await new Promise<number>((resolve, reject) => {
    const req = request(`${server.url}/api/export/torch`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', reject);
    req.write('{"pipeline": {"padding": "');
    for (let i = 0; i < 100; i++) req.write('x'.repeat(1024));
    req.end('"}}');
  });
  assert.equal(chunked, 413);
  assert.equal((await api(server.url, '/api/export/torch', { body: 'x', headers: { 'content-type': 'text/plain' } })).status, 415);
  assert.equal((await api(server.url, '/api/health')).status, 200);
});
