// Starting a server run from an uploaded checkpoint (POST /api/checkpoints, then POST /api/runs
// with resume.upload): a real checkpoint of a short run continues at its step + 1 with the
// uninterrupted run's losses; bad uploads, unknown ids and pipelines the checkpoint does not fit
// are refused with messages that say what is wrong.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { encodeSafetensors } from '../engine/checkpoint/safetensors';
import { DEFAULT_PYTHON, detectTorch } from '../engine/node/torch-launch';
import { createStudioServer, type StudioServer } from './app';
import { META_LENGTH_HEADER } from './checkpoint-upload';
import { api, finalStatus, smokePipeline, tempDir, waitFor, Watcher } from './test-support';

const MAX_UPLOAD = 1024 * 1024;

let server: StudioServer;
let dirs: Awaited<ReturnType<typeof tempDir>>[] = [];
let runsDir: string;
/** The uninterrupted smoke run: its losses by step, and its checkpoint at step 10 as files. */
let reference: { losses: Map<number, number>; meta: Uint8Array; weights: Uint8Array };

/** Sends a checkpoint upload: the metadata bytes, then the weights, in one body. */
async function upload(meta: Uint8Array | string, weights: Uint8Array, options: { query?: string; headers?: Record<string, string> } = {}) {
  const metaBytes = typeof meta === 'string' ? new TextEncoder().encode(meta) : meta;
  const body = new Uint8Array(metaBytes.length + weights.length);
  body.set(metaBytes, 0);
  body.set(weights, metaBytes.length);
  const response = await fetch(`${server.url}/api/checkpoints${options.query ?? ''}`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/octet-stream', [META_LENGTH_HEADER]: String(metaBytes.length), ...options.headers },
  });
  return { status: response.status, json: (await response.json()) as any };
}

async function bytesOf(path: string): Promise<Uint8Array> {
  const response = await fetch(server.url + path);
  assert.equal(response.status, 200, path);
  return new Uint8Array(await response.arrayBuffer());
}

/** Runs to the end, watching; returns its events. */
async function finishedRun(id: string, timeoutMs = 60_000) {
  const watcher = new Watcher(server.url, id);
  await watcher.subscribe();
  await waitFor(`run ${id} to end`, () => watcher.finished(), timeoutMs);
  watcher.close();
  await finalStatus(server.url, id);
  assert.deepEqual(watcher.problems, []);
  return watcher.events;
}

const logOf = async (id: string) =>
  (await readFile(join(runsDir, id, 'train_log.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { step: number; loss: number });

before(async () => {
  const runs = await tempDir('studio-runs-');
  const data = await tempDir('studio-data-');
  dirs = [runs, data];
  runsDir = runs.path;
  server = await createStudioServer({ port: 0, runsDir, dataDir: data.path, next: false, maxUploadBytes: MAX_UPLOAD });
  const { id } = (await api(server.url, '/api/runs', { json: { pipeline: smokePipeline() } })).json;
  await finishedRun(id);
  reference = {
    losses: new Map((await logOf(id)).map((l) => [l.step, l.loss])),
    meta: await bytesOf(`/api/runs/${id}/checkpoints/ckpt-000010.json`),
    weights: await bytesOf(`/api/runs/${id}/checkpoints/ckpt-000010.safetensors`),
  };
  assert.equal(reference.losses.size, 20);
});

after(async () => {
  await server.close();
  for (const d of dirs) await d.remove();
});

test('an uploaded checkpoint starts a run at its step + 1, with the losses of the uninterrupted run', async () => {
  const uploaded = await upload(reference.meta, reference.weights);
  assert.equal(uploaded.status, 201, JSON.stringify(uploaded.json));
  assert.deepEqual(
    { ...uploaded.json, id: undefined, savedAt: undefined },
    {
      id: undefined,
      name: 'ckpt-000010',
      step: 10,
      bytes: reference.weights.length,
      executor: 'node',
      savedAt: undefined,
    },
  );
  assert.match(uploaded.json.id, /^[0-9a-z]{13}$/);
  assert.deepEqual((await api(server.url, `/api/checkpoints/${uploaded.json.id}`)).json, uploaded.json);
  assert.deepEqual((await readdir(join(runsDir, 'uploads', uploaded.json.id))).sort(), ['ckpt-000010.json', 'ckpt-000010.safetensors']);

  const submitted = await api(server.url, '/api/runs', { json: { pipeline: smokePipeline(), resume: { upload: uploaded.json.id } } });
  assert.equal(submitted.status, 201, submitted.text);
  const { id } = submitted.json;
  const events = await finishedRun(id);
  const started = events.find((e) => e.type === 'run/started')!;
  assert.equal(started.step, 10);
  assert.equal((started.data as { resumedFrom?: string }).resumedFrom, 'ckpt-000010');
  assert.match(String((started.data as { matmul?: string }).matmul), /^OpenBLAS /, 'a worker thread runs the matmuls on OpenBLAS too');
  assert.deepEqual(
    events.filter((e) => e.type === 'step').map((e) => e.step),
    Array.from({ length: 10 }, (_, i) => 11 + i),
  );
  assert.equal((events.at(-1)!.data as { status: string }).status, 'completed');

  const log = await logOf(id);
  assert.deepEqual(
    log.map((l) => l.step),
    Array.from({ length: 10 }, (_, i) => 11 + i),
    'the first logged step is the checkpoint step + 1',
  );
  for (const { step, loss } of log) assert.equal(loss, reference.losses.get(step), `loss at step ${step}`);

  const status = (await api(server.url, `/api/runs/${id}`)).json;
  assert.equal(status.state, 'completed');
  assert.deepEqual(status.resumedFrom, { upload: uploaded.json.id, name: 'ckpt-000010', step: 10, executor: 'node' });
  // The run holds the checkpoint it started from: a stop before its first save resumes from there.
  const own = (await api(server.url, `/api/runs/${id}/checkpoints`)).json.checkpoints.map((c: { name: string }) => c.name);
  assert.deepEqual(own, ['ckpt-000010', 'ckpt-000020']);
});

test('a run from an upload, stopped before it saved anything, resumes from the uploaded checkpoint', async () => {
  const { json: uploaded } = await upload(reference.meta, reference.weights);
  // One run trains at a time: a long run holds the slot, so the resumed run waits in the queue.
  const blocker = (await api(server.url, '/api/runs', { json: { pipeline: smokePipeline(), steps: 100_000 } })).json.id;
  const { id } = (await api(server.url, '/api/runs', { json: { pipeline: smokePipeline(), resume: { upload: uploaded.id } } })).json;
  assert.equal((await api(server.url, `/api/runs/${id}`)).json.state, 'queued');
  assert.equal((await api(server.url, `/api/runs/${id}/stop`, { method: 'POST' })).json.state, 'stopped');
  await api(server.url, `/api/runs/${blocker}/stop`, { method: 'POST' });
  const resumed = (await api(server.url, `/api/runs/${id}/resume`, { method: 'POST' })).json;
  assert.deepEqual([resumed.state, resumed.resumeFrom, resumed.step], ['queued', 'ckpt-000010', 10]);
  const events = await finishedRun(id);
  assert.equal(events.find((e) => e.type === 'run/started')!.step, 10);
  assert.deepEqual((await logOf(id)).map((l) => l.step)[0], 11);
});

test('bad uploads are refused with what is wrong, and nothing is stored', async () => {
  const before = await readdir(join(runsDir, 'uploads')).catch(() => []);
  const meta = JSON.parse(new TextDecoder().decode(reference.meta));
  const cases: [what: string, reply: Promise<{ status: number; json: any }>, status: number, message: RegExp][] = [
    [
      'garbage weights',
      upload(reference.meta, new TextEncoder().encode('this is not a safetensors file at all')),
      400,
      /ckpt-000010\.safetensors: header length \d+ exceeds/,
    ],
    [
      'truncated weights',
      upload(reference.meta, reference.weights.subarray(0, reference.weights.length - 100)),
      400,
      /ckpt-000010\.safetensors: .*run past the end .*truncated\?/,
    ],
    [
      'metadata that is not JSON',
      upload('{"format": "pretrain-studio-checkpoint", ', reference.weights),
      400,
      /the metadata \(the first 41 bytes\) is not valid JSON/,
    ],
    ['metadata of something else', upload(JSON.stringify({ hello: 'world' }), reference.weights), 400, /not a Pretrain Studio checkpoint/],
    [
      'metadata of another step',
      upload(JSON.stringify({ ...meta, step: 20 }), reference.weights),
      400,
      /ckpt-000020\.safetensors says step 10 but the metadata says step 20: not the same checkpoint/,
    ],
    [
      'metadata naming weights the file lacks',
      upload(JSON.stringify({ ...meta, weights: [...meta.weights, 'blocks.7.attn.wq'] }), reference.weights),
      400,
      /does not hold: blocks\.7\.attn\.wq/,
    ],
    ['a file with no tensors', upload(reference.meta, encodeSafetensors(new Map())), 400, /holds no tensors/],
    ['a name that is a path', upload(reference.meta, reference.weights, { query: '?name=..%2Fescape' }), 400, /invalid checkpoint name "\.\.\/escape"/],
    ['no metadata length', upload(reference.meta, reference.weights, { headers: { [META_LENGTH_HEADER]: '' } }), 400, /must be a number of bytes/],
    [
      'a metadata length past the body',
      upload(reference.meta, reference.weights, { headers: { [META_LENGTH_HEADER]: String(reference.meta.length + reference.weights.length + 5) } }),
      400,
      /body has only \d+ bytes \(truncated\?\)/,
    ],
    ['too large', upload(reference.meta, new Uint8Array(MAX_UPLOAD)), 413, /larger than this server accepts \(1 MiB, MAX_UPLOAD_BYTES\)/],
    [
      'metadata too large',
      upload(reference.meta, reference.weights, { headers: { [META_LENGTH_HEADER]: String(3 * 1024 * 1024) } }),
      413,
      /metadata is 3145728 bytes; this server accepts at most 2 MiB/,
    ],
    ['not bytes', upload(reference.meta, reference.weights, { headers: { 'content-type': 'application/json' } }), 415, /application\/octet-stream/],
  ];
  for (const [what, reply, status, message] of cases) {
    const { status: got, json } = await reply;
    assert.equal(got, status, `${what}: ${JSON.stringify(json)}`);
    assert.match(json.error, message, what);
  }
  // Chunked, without content-length: counted as it arrives.
  const chunked = await new Promise<number>((resolve, reject) => {
    const req = request(
      `${server.url}/api/checkpoints`,
      { method: 'POST', headers: { 'content-type': 'application/octet-stream', [META_LENGTH_HEADER]: String(reference.meta.length) } },
      (res) => {
        res.resume();
        resolve(res.statusCode!);
      },
    );
    req.on('error', reject);
    req.write(reference.meta);
    for (let i = 0; i < 1100; i++) req.write(new Uint8Array(1024));
    req.end();
  });
  assert.equal(chunked, 413);
  assert.deepEqual(await readdir(join(runsDir, 'uploads')).catch(() => []), before);
  assert.equal((await api(server.url, '/api/health')).status, 200);
});

test('unknown or malformed upload ids: 404 to read, 400 to start from', async () => {
  for (const id of ['0000000000000', '..', '..%2F0000000000000', 'uploads']) {
    assert.equal((await api(server.url, `/api/checkpoints/${id}`)).status, 404, id);
  }
  for (const id of ['0000000000000', '../../etc', '']) {
    const reply = await api(server.url, '/api/runs', { json: { pipeline: smokePipeline(), resume: { upload: id } } });
    assert.equal(reply.status, 400, id);
    assert.equal(reply.json.error, 'the checkpoint cannot continue in this pipeline');
    assert.deepEqual(
      reply.json.errors.map((e: { field: string }) => e.field),
      ['resume.upload'],
    );
    assert.match(reply.json.errors[0].message, /no uploaded checkpoint .* \(upload one with POST \/api\/checkpoints\)/);
  }
});

test('a pipeline the checkpoint does not fit: 400 on the model, nothing left to train, or the run fails on the optimizer', async () => {
  const { json: uploaded } = await upload(reference.meta, reference.weights);
  const runsBefore = (await api(server.url, '/api/runs')).json.runs.length;

  const wider = await api(server.url, '/api/runs', {
    json: { pipeline: smokePipeline((doc) => (doc.nodes.find((n: any) => n.id === 'model').params.d_model = 64)), resume: { upload: uploaded.id } },
  });
  assert.equal(wider.status, 400);
  assert.equal(wider.json.errors[0].nodeId, 'model');
  assert.match(wider.json.errors[0].message, /does not match the checkpoint ckpt-000010: wte is \[256, 32\] in the checkpoint, \[256, 64\] in this model/);

  const deeper = await api(server.url, '/api/runs', {
    json: { pipeline: smokePipeline((doc) => (doc.nodes.find((n: any) => n.id === 'model').params.n_layers = 2)), resume: { upload: uploaded.id } },
  });
  assert.equal(deeper.status, 400);
  assert.match(deeper.json.errors[0].message, /the checkpoint has no blocks\.1\.attn\.wq \[32, 32\]/);

  const done = await api(server.url, '/api/runs', { json: { pipeline: smokePipeline(), steps: 10, resume: { upload: uploaded.id } } });
  assert.equal(done.status, 400);
  assert.deepEqual(
    done.json.errors.map((e: { field: string }) => e.field),
    ['steps'],
  );
  assert.match(done.json.errors[0].message, /ckpt-000010 is at step 10 and the run trains 10 steps: nothing is left to train/);
  assert.equal((await api(server.url, '/api/runs')).json.runs.length, runsBefore, 'refused submissions create no run');

  // Lion keeps one moment, AdamW two: the engine refuses the state when the run starts, on the optimizer.
  const lion = await api(server.url, '/api/runs', {
    json: { pipeline: smokePipeline((doc) => (doc.nodes.find((n: any) => n.id === 'optimizer').params.kind = 'lion')), resume: { upload: uploaded.id } },
  });
  assert.equal(lion.status, 201, lion.text);
  await finishedRun(lion.json.id);
  const status = (await api(server.url, `/api/runs/${lion.json.id}`)).json;
  assert.equal(status.state, 'failed');
  assert.equal(status.error.nodeId, 'optimizer');
  assert.match(status.error.message, /optimizer lion: checkpoint state has optim\.\w+\.\S+, which this optimizer does not keep/);
});

test('a torch run continues an uploaded engine checkpoint too', async (t) => {
  const torch = await detectTorch(DEFAULT_PYTHON);
  if (!torch.available) return t.skip(`no PyTorch: ${torch.error}`);
  const { json: uploaded } = await upload(reference.meta, reference.weights);
  const submitted = await api(server.url, '/api/runs', {
    json: { pipeline: smokePipeline(), executor: 'torch', torch: { device: 'cpu' }, resume: { upload: uploaded.id } },
  });
  assert.equal(submitted.status, 201, submitted.text);
  const events = await finishedRun(submitted.json.id, 120_000);
  const started = events.find((e) => e.type === 'run/started')!;
  assert.deepEqual([started.step, (started.data as { resumedFrom?: string }).resumedFrom], [10, 'ckpt-000010']);
  assert.equal((events.at(-1)!.data as { status: string }).status, 'completed', JSON.stringify(events.filter((e) => e.type === 'error')));
  const log = await logOf(submitted.json.id);
  assert.deepEqual(
    log.map((l) => l.step),
    Array.from({ length: 10 }, (_, i) => 11 + i),
  );
  // PyTorch's float32 kernels are not tfjs's: close, not equal.
  for (const { step, loss } of log)
    assert.ok(
      Math.abs(loss - reference.losses.get(step)!) / reference.losses.get(step)! < 1e-3,
      `loss at step ${step}: ${loss} vs ${reference.losses.get(step)}`,
    );
});
