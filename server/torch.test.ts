// Torch runs through the server, end to end with Debian's python3-torch (CPU): a real HTTP server,
// train.py processes, socket.io watchers. Also GET /api/executors and the export download, unzipped
// and run by Python.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { compile } from '../engine/compiler/compile';
import type { RunEvent } from '../engine/events';
import { exportTorch } from '../engine/export/torch/export';
import { DEFAULT_PYTHON } from '../engine/node/torch-launch';
import { createStudioServer, type StudioServer } from './app';
import { api, smokePipeline, tempDir, waitFor, Watcher } from './test-support';

const run = promisify(execFile);

let server: StudioServer;
let base: string;
let runs: Awaited<ReturnType<typeof tempDir>>;
let data: Awaited<ReturnType<typeof tempDir>>;

before(async () => {
  runs = await tempDir('studio-torch-runs-');
  data = await tempDir('studio-torch-data-');
  server = await createStudioServer({ port: 0, runsDir: runs.path, dataDir: data.path, next: false });
  base = server.url;
});

after(async () => {
  await server.close();
  await runs.remove();
  await data.remove();
});

const torchRun = (extra: Record<string, unknown> = {}, pipeline = smokePipeline()) =>
  api(base, '/api/runs', { json: { pipeline, executor: 'torch', torch: { device: 'cpu' }, ...extra } });

const stateOf = async (url: string, id: string) => (await api(url, `/api/runs/${id}`)).json;

/** Whether a process exists and is not a zombie (Linux). */
function alive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1][0] !== 'Z';
  } catch {
    return false;
  }
}

const stepsOf = (events: RunEvent[]) => events.filter((e) => e.type === 'step').map((e) => e.step);

test('GET /api/executors: node backends, and torch with its version and device', async () => {
  const { status, json } = await api(base, '/api/executors');
  assert.equal(status, 200);
  assert.equal(json.node.available, true);
  assert.deepEqual(json.node.backends.slice(0, 2), ['wasm', 'cpu']);
  assert.equal(json.torch.available, true, json.torch.error);
  assert.match(json.torch.version, /^\d+\.\d+/);
  assert.equal(json.torch.device, json.torch.gpus > 0 ? 'cuda' : 'cpu');
  assert.equal(json.torch.python, DEFAULT_PYTHON);
});

test('a torch run streams run/started, steps, eval, sample, checkpoint and run/finished, in seq order', async () => {
  const submitted = await torchRun({ steps: 6 });
  assert.equal(submitted.status, 201, submitted.text);
  const { id } = submitted.json;
  const watcher = new Watcher(base, id);
  assert.equal((await watcher.subscribe()).ok, true);
  await waitFor('the torch run to finish', () => watcher.finished(), 60_000);
  watcher.close();
  assert.deepEqual(watcher.problems, [], 'seq goes 1, 2, 3, ... without a gap');
  const events = watcher.events;
  assert.deepEqual(
    events.map((e) => e.seq),
    events.map((_, i) => i + 1),
  );

  const started = events[0] as Extract<RunEvent, { type: 'run/started' }>;
  assert.equal(started.type, 'run/started');
  assert.equal(started.data.backend, 'torch-cpu');
  assert.equal(started.data.totalSteps, 6);
  assert.deepEqual(stepsOf(events), [1, 2, 3, 4, 5, 6]);
  const losses = events.filter((e) => e.type === 'step').map((e) => (e.data as { loss: number }).loss);
  assert.ok(
    losses.every((l) => Number.isFinite(l) && l > 0 && l < 10),
    String(losses),
  );
  // The per-node numbers a node run has, before each step's summary.
  const lossAt3 = events.findIndex((e) => e.type === 'node/metrics' && e.nodeId === 'loss' && e.step === 3);
  assert.ok(lossAt3 >= 0 && lossAt3 < events.findIndex((e) => e.type === 'step' && e.step === 3));
  assert.equal((events[lossAt3].data as { loss: number }).loss, losses[2]);
  assert.ok(events.some((e) => e.type === 'node/metrics' && e.nodeId === 'clip' && typeof e.data.grad_norm === 'number'));
  assert.ok(events.some((e) => e.type === 'node/metrics' && e.nodeId === 'scheduler' && typeof e.data.lr === 'number'));
  // The inside view (inspect_every 20: step 1 only), before step 1's node/metrics and step.
  const insides = events.filter((e) => e.type === 'model/insides');
  assert.deepEqual(
    insides.map((e) => [e.nodeId, e.step, (e.data as { layers: number }).layers]),
    [['model', 1, 1]],
  );
  const insidesAt = events.indexOf(insides[0]);
  assert.ok(insidesAt < events.findIndex((e) => e.type === 'node/metrics' && e.nodeId === 'loss' && e.step === 1));
  // The last step evaluates, samples and checkpoints (at_end), as the engine does.
  assert.deepEqual(
    events.filter((e) => e.type === 'eval').map((e) => [e.nodeId, e.step]),
    [['eval', 6]],
  );
  assert.deepEqual(
    events.filter((e) => e.type === 'sample').map((e) => e.step),
    [6],
  );
  const saved = events.filter((e) => e.type === 'checkpoint/saved');
  assert.deepEqual(
    saved.map((e) => [e.nodeId, (e.data as { name: string }).name]),
    [['checkpoint', 'ckpt-000006']],
  );
  const finished = events.at(-1)!;
  assert.equal(finished.type, 'run/finished');
  assert.deepEqual([finished.step, (finished.data as { status: string }).status], [6, 'completed']);

  const status = await waitFor('state completed', async () => {
    const s = await stateOf(base, id);
    return s.state === 'completed' && s;
  });
  assert.equal(status.executor, 'torch');
  assert.equal(status.backend, 'torch-cpu');
  assert.deepEqual(status.torch, { nproc: 1, device: 'cpu' });
  assert.equal(status.step, 6);
  assert.equal(status.lastCheckpoint, 'ckpt-000006');
  assert.equal(status.metrics.loss, losses[5]);
  assert.equal(typeof status.metrics.val_loss, 'number');
  assert.equal(status.lastSeq, watcher.lastSeq);

  // The run folder reads like a node run's; train.py's own status.json stays in torch/.
  const dir = join(runs.path, id);
  assert.deepEqual(
    (await api(base, `/api/runs/${id}/log`)).text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).step),
    [1, 2, 3, 4, 5, 6],
  );
  assert.equal((await api(base, `/api/runs/${id}/samples`)).text.trim().split('\n').length, 1);
  assert.deepEqual(
    (await api(base, `/api/runs/${id}/checkpoints`)).json.checkpoints.map((c: { name: string }) => c.name),
    ['ckpt-000006'],
  );
  assert.equal(JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')).id, id);
  assert.equal(JSON.parse(readFileSync(join(dir, 'torch', 'status.json'), 'utf8')).state, 'finished');
  for (const f of ['torch/train.py', 'torch/config.json', 'torch/data/train_ids.npy', 'torch.log', 'events.jsonl']) assert.ok(existsSync(join(dir, f)), f);
  assert.match(readFileSync(join(dir, 'torch.log'), 'utf8'), /completed after 6 steps/);
});

test('pause freezes a torch run, resume continues it, stop ends it as stopped; the next run waits meanwhile', async () => {
  const { id } = (await torchRun({ steps: 100_000 })).json;
  const watcher = new Watcher(base, id);
  await watcher.subscribe();
  const stepNow = () => stepsOf(watcher.events).at(-1) ?? 0;
  await waitFor('a few steps', () => stepNow() >= 3, 60_000);
  const queued = (await torchRun({ steps: 2 })).json.id;
  assert.equal((await stateOf(base, queued)).state, 'queued', 'one run at a time, torch runs too');

  assert.equal((await api(base, `/api/runs/${id}/pause`, { method: 'POST' })).json.state, 'paused');
  await new Promise((r) => setTimeout(r, 700)); // steps logged before the pause reach us
  const pausedAt = stepNow();
  await new Promise((r) => setTimeout(r, 700));
  assert.equal(stepNow(), pausedAt, 'no steps while paused');
  assert.equal((await api(base, `/api/runs/${id}/resume`, { method: 'POST' })).json.state, 'running');
  await waitFor('steps after resuming', () => stepNow() >= pausedAt + 3, 20_000);

  const stopAsked = Date.now();
  await api(base, `/api/runs/${id}/stop`, { method: 'POST' });
  const finished = await waitFor('the stop', () => watcher.finished(), 20_000);
  watcher.close();
  assert.ok(Date.now() - stopAsked < 10_000, 'stopped after its step, not killed after the grace period');
  assert.deepEqual(watcher.problems, []);
  assert.equal((finished.data as { status: string }).status, 'stopped');
  const status = await waitFor('state stopped', async () => {
    const s = await stateOf(base, id);
    return s.state === 'stopped' && s;
  });
  assert.ok(status.step > pausedAt && status.step < 100_000);
  assert.equal(status.torch.pid, undefined);
  assert.equal(JSON.parse(readFileSync(join(runs.path, id, 'torch', 'status.json'), 'utf8')).state, 'stopped', 'train.py handled SIGTERM');
  await waitFor('the queued run to complete', async () => (await stateOf(base, queued)).state === 'completed', 60_000);
});

test('a torch run that cannot be exported is refused with the node at fault', async () => {
  const bad = smokePipeline((doc) => {
    const edge = doc.edges.find((e: { target: string; targetHandle: string }) => e.target === 'loss' && e.targetHandle === 'targets');
    edge.sourceHandle = 'x'; // compiles (tokens into tokens), but the export needs get_batch.y
  });
  const refused = await torchRun({}, bad);
  assert.equal(refused.status, 400, refused.text);
  assert.equal(refused.json.error, 'the pipeline cannot be exported to PyTorch');
  assert.deepEqual(
    refused.json.errors.map((e: { nodeId: string; field: string }) => [e.nodeId, e.field]),
    [['loss', 'targets']],
  );
  const exported = await api(base, '/api/export/torch', { json: { pipeline: bad } });
  assert.equal(exported.status, 400);
  assert.equal(exported.json.errors[0].nodeId, 'loss');

  // Dataset files outside the server's data folder are not read, linked or zipped.
  const outside = smokePipeline((doc) => {
    doc.nodes.find((n: { id: string }) => n.id === 'dataset').params = {
      source: 'files',
      tokenizer: 'byte',
      train_path: '/etc/hostname',
      valid_path: '/etc/hostname',
    };
  });
  const leaked = await api(base, '/api/export/torch', { json: { pipeline: outside } });
  assert.equal(leaked.status, 400, leaked.text.slice(0, 200));
  assert.deepEqual([leaked.json.errors[0].nodeId, leaked.json.errors[0].field], ['dataset', 'train_path']);
  assert.match(leaked.json.errors[0].message, /outside the data folders/);
  const { id } = (await torchRun({}, outside)).json;
  const failed = await waitFor(
    'the run to fail',
    async () => {
      const s = await stateOf(base, id);
      return s.state === 'failed' && s;
    },
    30_000,
  );
  assert.deepEqual([failed.error.nodeId, failed.error.field], ['dataset', 'train_path']);

  const odd = await torchRun({ torch: { nproc: 3, device: 'cpu' } });
  assert.equal(odd.status, 400);
  assert.deepEqual([odd.json.errors[0].nodeId, odd.json.errors[0].field], ['get_batch', 'batch_size']);
  const mixed = await api(base, '/api/runs', { json: { pipeline: smokePipeline(), executor: 'torch', backend: 'cpu' } });
  assert.equal(mixed.status, 400);
  assert.equal(mixed.json.errors[0].field, 'backend');
});

test('a PyTorch process that crashes fails the run with the end of torch.log', async () => {
  // A sitecustomize that dies at interpreter start: the process exits 3 before train.py writes anything.
  const site = join(data.path, 'broken-site');
  mkdirSync(site, { recursive: true });
  writeFileSync(join(site, 'sitecustomize.py'), 'import os, sys\nsys.stderr.write("boom: the interpreter is broken\\n")\nsys.stderr.flush()\nos._exit(3)\n');
  const crashing = await createStudioServer({
    port: 0,
    runsDir: join(runs.path, 'crash'),
    dataDir: data.path,
    next: false,
    workerEnv: { ...process.env, PYTHONPATH: site },
  });
  try {
    const { id } = (await api(crashing.url, '/api/runs', { json: { pipeline: smokePipeline(), executor: 'torch', steps: 3 } })).json;
    const watcher = new Watcher(crashing.url, id);
    await watcher.subscribe();
    const finished = await waitFor('the run to fail', () => watcher.finished(), 60_000);
    watcher.close();
    assert.equal((finished.data as { status: string }).status, 'failed');
    const error = watcher.events.find((e) => e.type === 'error')!;
    assert.match((error.data as { message: string }).message, /exited with code 3; torch\.log ends with:\nboom: the interpreter is broken/);
    const status = await waitFor('state failed', async () => {
      const s = await stateOf(crashing.url, id);
      return s.state === 'failed' && s;
    });
    assert.match(status.error.message, /boom/);
  } finally {
    await crashing.close();
  }
});

test('POST /api/export/torch: a zip Python unzips, with the config exportTorch makes, whose train.py runs', async () => {
  const pipeline = smokePipeline();
  const response = await fetch(`${base}/api/export/torch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ pipeline }),
  });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'application/zip');
  const name = 'smoke-a-tiny-model-for-tests-torch';
  assert.equal(response.headers.get('content-disposition'), `attachment; filename="${name}.zip"`);
  const zip = Buffer.from(await response.arrayBuffer());
  const dir = await tempDir('studio-export-test-');
  try {
    writeFileSync(join(dir.path, 'export.zip'), zip);
    const unzip =
      'import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nz.extractall(sys.argv[2])\nprint("\\n".join(sorted(z.namelist())))';
    const names = (await run(DEFAULT_PYTHON, ['-c', unzip, join(dir.path, 'export.zip'), dir.path])).stdout.trim().split('\n');
    const expected = [
      'README.md',
      'checkpoint.py',
      'config.json',
      'config.py',
      'data.py',
      'data/meta.json',
      'data/train_ids.npy',
      'data/valid_ids.npy',
      'insides.py',
      'model.py',
      'optim.py',
      'requirements.txt',
      'rng.py',
      'train.py',
    ];
    assert.deepEqual(
      names.filter((n) => n !== `${name}/data/tokenizer.json`),
      expected.map((f) => `${name}/${f}`),
    );
    const folder = join(dir.path, name);
    const compiled = compile(pipeline);
    assert.ok(compiled.ok);
    const files = exportTorch(compiled.plan);
    assert.deepEqual(JSON.parse(await readFile(join(folder, 'config.json'), 'utf8')), JSON.parse(files.get('config.json')!));
    assert.equal(await readFile(join(folder, 'train.py'), 'utf8'), files.get('train.py'));

    await run(DEFAULT_PYTHON, [join(folder, 'train.py'), '--steps', '2', '--device', 'cpu'], { cwd: folder, env: { ...process.env, OMP_NUM_THREADS: '1' } });
    const log = readFileSync(join(folder, 'run', 'train_log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      log.map((l) => l.step),
      [1, 2],
    );

    // ?data=0 leaves the token ids out (the Brown ids are megabytes).
    const small = await fetch(`${base}/api/export/torch?data=0`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pipeline }),
    });
    const smallZip = Buffer.from(await small.arrayBuffer());
    writeFileSync(join(dir.path, 'small.zip'), smallZip);
    const list = 'import sys, zipfile\nprint("\\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))';
    const smallNames = (await run(DEFAULT_PYTHON, ['-c', list, join(dir.path, 'small.zip')])).stdout.trim().split('\n');
    assert.ok(smallNames.includes(`${name}/train.py`) && smallNames.includes(`${name}/data/meta.json`));
    assert.ok(!smallNames.some((n) => n.endsWith('.npy')));
    assert.ok(smallZip.length < zip.length / 10, `${smallZip.length} vs ${zip.length} bytes`);
  } finally {
    await dir.remove();
  }
});

test('a server killed mid torch run: the next one kills the leftover processes, marks it interrupted, resumes it from its checkpoint', async () => {
  const runsDir = join(runs.path, 'restart');
  const root = fileURLToPath(new URL('..', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/index.ts'], {
    cwd: root,
    env: { ...process.env, STUDIO_NO_NEXT: '1', PORT: '0', RUNS_DIR: runsDir, DATA_DIR: data.path },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let second: StudioServer | undefined;
  try {
    let output = '';
    child.stdout!.on('data', (chunk) => (output += chunk));
    const first = await waitFor('the first server', () => /on (http:\/\/\S+)/.exec(output)?.[1], 30_000);
    const { id } = (await api(first, '/api/runs', { json: { pipeline: smokePipeline(), executor: 'torch', steps: 100_000 } })).json;
    const watcher = new Watcher(first, id);
    await watcher.subscribe();
    await waitFor('the checkpoint at step 10 and more steps', () => (stepsOf(watcher.events).at(-1) ?? 0) >= 12, 60_000);
    watcher.close();
    const pid = JSON.parse(readFileSync(join(runsDir, id, 'status.json'), 'utf8')).torch.pid as number;
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    assert.ok(alive(pid), 'train.py outlives the server');

    second = await createStudioServer({ port: 0, runsDir, dataDir: data.path, next: false });
    await waitFor('the leftover process to be gone', () => !alive(pid), 5_000);
    const status = await stateOf(second.url, id);
    assert.equal(status.state, 'interrupted');
    assert.equal(status.torch.pid, undefined);

    const again = new Watcher(second.url, id);
    await again.subscribe();
    assert.deepEqual(again.events.slice(0, watcher.events.length), watcher.events);
    // The orphan trained on until it was killed, but its later steps never reached events.jsonl: the
    // run continues from the newest checkpoint whose step's events are stored (resume-point.ts), or
    // from the start when keep_last pruned those, so the stream misses no step.
    const checkpoints = (await api(second.url, `/api/runs/${id}/checkpoints`)).json.checkpoints as { name: string; step: number }[];
    assert.ok(checkpoints.at(-1)!.step >= 10);
    const stored = new Set(again.events.filter((e) => e.type === 'step').map((e) => e.step));
    const from = checkpoints.findLast((c) => stored.has(c.step));
    const beforeResume = again.lastSeq;
    assert.equal((await api(second.url, `/api/runs/${id}/resume`, { method: 'POST' })).json.state, 'queued');
    await waitFor(
      'steps after resuming',
      () => again.events.some((e) => e.seq > beforeResume && e.type === 'step' && e.step! >= (from?.step ?? 0) + 3),
      60_000,
    );
    const restart = again.events.find((e) => e.seq > beforeResume && e.type === 'run/started')!;
    assert.equal(restart.step, from?.step ?? 0);
    assert.equal((restart.data as { resumedFrom?: string }).resumedFrom, from?.name);
    assert.deepEqual(again.problems, []);
    await api(second.url, `/api/runs/${id}/stop`, { method: 'POST' });
    await waitFor('the stop', () => again.finished(), 20_000);
    again.close();
    const logSteps = (await readFile(join(runsDir, id, 'train_log.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).step);
    assert.deepEqual(
      logSteps,
      logSteps.map((_, i) => i + 1),
      'one log line per step: the resumed run continues after its checkpoint',
    );
    const insidesSteps = (await readFile(join(runsDir, id, 'insides.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).step as number);
    assert.ok(
      insidesSteps[0] === 1 && insidesSteps.every((k, i) => i === 0 || (k > insidesSteps[i - 1] && k % 20 === 0)),
      `inside views once each: ${insidesSteps}`,
    );
  } finally {
    child.kill('SIGKILL');
    await second?.close();
  }
});
