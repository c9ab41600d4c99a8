// launch.ts with Debian's PyTorch: detectTorch, and an export run under torchrun with two CPU
// processes (gloo) equals the one-process run with the same global batch; the run folder streams
// as valid RunEvents, line by whole line.
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { RunEvent, type InsidesData } from '../events';
import { exportTorch } from '../export/torch/export';
import { detectTorch, launchTorch, tailTorchRun, torchCommand } from './torch-launch';
import { loopPipeline, maxRelDiff, planOf, PYTHON, readJsonl, writeTokenData, type StepLine } from '../export/torch/test-support';
import { writeTorchExport } from './torch-export';

const dir = mkdtempSync(join(tmpdir(), 'torch-launch-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('detectTorch finds the CPU torch, and reports a missing interpreter instead of throwing', async () => {
  const info = await detectTorch(PYTHON);
  assert.equal(info.available, true, info.error);
  assert.match(info.version!, /^\d+\.\d+/);
  assert.ok(info.device === 'cpu' || info.gpus > 0);
  const missing = await detectTorch(join(dir, 'no-such-python'));
  assert.equal(missing.available, false);
  assert.match(missing.error!, /cannot run .*no-such-python/);
});

test('torchCommand: python train.py for one process, torchrun for several', () => {
  const one = torchCommand({ exportDir: '/x/exp', device: 'cpu', steps: 5, resume: '/x/ck' });
  assert.deepEqual(one.args, ['/x/exp/train.py', '--out', '/x/exp/run', '--device', 'cpu', '--steps', '5', '--resume', '/x/ck']);
  const two = torchCommand({ exportDir: '/x/exp', nproc: 2, outDir: '/x/r2' });
  assert.deepEqual(two.args.slice(2, 8), [
    '--nnodes=1',
    '--rdzv_backend=c10d',
    '--rdzv_endpoint=localhost:0',
    '--nproc_per_node=2',
    '--monitor_interval=1',
    '/x/exp/train.py',
  ]);
  assert.match(two.args[1], /torch\.distributed\.run/);
  assert.equal(two.runDir, '/x/r2');
  assert.throws(() => torchCommand({ exportDir: '/x', nproc: 0 }), /nproc must be a positive integer/);
});

/** Holds a TCP port for the test's length, as another program would (or learns that one already does). */
async function holdPort(port: number): Promise<() => Promise<void>> {
  const server = createServer();
  const held = await new Promise<boolean>((ok) => {
    server.once('error', () => ok(false));
    server.listen(port, '127.0.0.1', () => ok(true));
  });
  return async () => {
    if (held) await new Promise((ok) => server.close(ok));
  };
}

test('torchrun --nproc_per_node=2 (gloo) matches one process over 10 steps; the tail streams it as RunEvents', async () => {
  // torchrun --standalone's fixed port, taken: the launch's rendezvous must not wait on it.
  const release = await holdPort(29400);
  after(release);
  const data = writeTokenData(join(dir, 'data'));
  const plan = planOf(
    loopPipeline({
      data,
      steps: 10,
      model: { inspect_every: 5 },
      batch: { batch_size: 4 },
      backward: { grad_accum_steps: 2 },
      eval: { every: 5 },
      checkpoint: { every: 5, keep_last: 1 },
      sample: { every: 10 },
    }),
  );
  const exportDir = join(dir, 'export');
  await writeTorchExport(plan, exportDir);
  const env = { ...process.env, OMP_NUM_THREADS: '1' };
  const one = launchTorch({ exportDir, device: 'cpu', outDir: join(dir, 'one'), init: 'torch', env, stdio: 'ignore' });
  const oneExit = await one.done;
  assert.equal(oneExit.code, 0);

  const events: RunEvent[] = [];
  const two = launchTorch({ exportDir, nproc: 2, device: 'cpu', outDir: join(dir, 'two'), init: 'torch', env, detached: true });
  // It takes seconds; one that waits on its rendezvous is stopped, workers and all, and fails with its stderr.
  const stuck = setTimeout(() => process.kill(-two.child.pid!, 'SIGKILL'), 180_000);
  let stderr = '';
  two.child.stderr!.on('data', (d) => (stderr += d));
  two.child.stdout!.resume();
  const tail = await tailTorchRun({ exportDir, runDir: two.runDir, sink: { emit: (e) => events.push(e) }, intervalMs: 100 });
  const twoExit = await two.done;
  clearTimeout(stuck);
  await tail.stop(twoExit);
  assert.equal(twoExit.code, 0, stderr);

  const a = readJsonl(join(dir, 'one', 'train_log.jsonl')) as unknown as StepLine[];
  const b = readJsonl(join(dir, 'two', 'train_log.jsonl')) as unknown as StepLine[];
  const diff = maxRelDiff(b, a);
  console.log(`2 processes vs 1: max relative loss difference ${diff.toExponential(2)}`);
  assert.ok(diff < 1e-4, `losses differ by ${diff}`);
  assert.ok(maxRelDiff(b, a, 'val_loss') < 1e-4);
  assert.ok(maxRelDiff(b, a, 'grad_norm') < 1e-4);
  // The inside view: each process measures its half of the first micro-batch, averaged across them.
  const views = (run: string) => readJsonl(join(dir, run, 'insides.jsonl')) as unknown as (InsidesData & { step: number })[];
  const [oneViews, twoViews] = [views('one'), views('two')];
  assert.deepEqual(
    twoViews.map((v) => v.step),
    [1, 5, 10],
  );
  let insidesDiff = 0;
  oneViews.forEach((view, i) => {
    for (const [id, stats] of Object.entries(view.blocks)) {
      for (const [stat, values] of Object.entries(stats) as [keyof typeof stats, number[]][]) {
        values.forEach((v, layer) => (insidesDiff = Math.max(insidesDiff, Math.abs(twoViews[i].blocks[id][stat]![layer]! - v) / Math.abs(v))));
      }
    }
  });
  console.log(`2 processes vs 1: max relative difference of the inside view ${insidesDiff.toExponential(2)}`);
  assert.ok(insidesDiff < 1e-4, `inside views differ by ${insidesDiff}`);
  assert.deepEqual(
    events.filter((e) => e.type === 'model/insides').map((e) => e.step),
    [1, 5, 10],
  );

  for (const e of events) assert.ok(RunEvent.safeParse(e).success, JSON.stringify(e));
  const types = events.map((e) => e.type);
  assert.equal(types[0], 'run/started');
  assert.equal(types.at(-1), 'run/finished');
  const started = events[0] as Extract<RunEvent, { type: 'run/started' }>;
  assert.deepEqual(started.data, { totalSteps: 10, backend: 'torch-cpux2', parameters: started.data.parameters, tokensPerStep: 128 });
  assert.deepEqual(
    events.filter((e) => e.type === 'step').map((e) => e.step),
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  );
  assert.deepEqual(
    events.filter((e) => e.type === 'eval').map((e) => [e.step, e.nodeId]),
    [
      [5, 'eval'],
      [10, 'eval'],
    ],
  );
  assert.deepEqual(
    events.filter((e) => e.type === 'sample').map((e) => e.step),
    [10],
  );
  const saved = events.filter((e) => e.type === 'checkpoint/saved') as Extract<RunEvent, { type: 'checkpoint/saved' }>[];
  assert.equal(saved.at(-1)!.data.name, 'ckpt-000010');
  assert.deepEqual(saved.at(-1)!.data.removed, ['ckpt-000005'], 'keep_last 1');
  const finished = events.at(-1) as Extract<RunEvent, { type: 'run/finished' }>;
  assert.equal(finished.data.status, 'completed');
  assert.equal(finished.data.lastCheckpoint, 'ckpt-000010');
});

test('tailTorchRun reads whole lines only (a character split between writes stays whole) and, fresh, skips an earlier run', async () => {
  const exportDir = join(dir, 'tail');
  const runDir = join(exportDir, 'run');
  mkdirSync(runDir, { recursive: true });
  const data = { train: 'a.npy', valid: 'b.npy' };
  writeFileSync(join(exportDir, 'config.json'), exportTorch(planOf(loopPipeline({ data, sample: { every: 1 } }))).get('config.json')!);
  const status = (s: object) =>
    writeFileSync(
      join(runDir, 'status.json'),
      JSON.stringify({ state: 'running', step: 0, start_step: 0, total_steps: 20, last_checkpoint: null, parameters: 10, ...s }),
    );
  const events: RunEvent[] = [];
  status({});
  const tail = await tailTorchRun({ exportDir, sink: { emit: (e) => events.push(e) }, intervalMs: 60_000 });
  const sample = Buffer.from(JSON.stringify({ step: 1, node: 'sample', text: 'né', tokens: 3 }) + '\n');
  const cut = sample.indexOf(Buffer.from('é')) + 1; // inside the two bytes of é
  appendFileSync(join(runDir, 'samples.jsonl'), sample.subarray(0, cut));
  await tail.poll();
  assert.deepEqual(
    events.map((e) => e.type),
    ['run/started'],
  );
  appendFileSync(join(runDir, 'samples.jsonl'), sample.subarray(cut));
  await tail.poll();
  assert.deepEqual(events.at(-1), { type: 'sample', nodeId: 'sample', step: 1, data: { text: 'né', tokens: 3 } });
  status({ state: 'finished', step: 1 });
  await tail.stop({ code: 0 });
  assert.deepEqual(
    events.map((e) => e.type),
    ['run/started', 'sample', 'run/finished'],
  );

  // The same folder resumed: the old lines and the old status are not replayed.
  appendFileSync(join(runDir, 'train_log.jsonl'), JSON.stringify({ step: 1, loss: 3, tokens_per_sec: 1, step_ms: 1, elapsed_s: 1, lr: 0.1 }) + '\n');
  const again: RunEvent[] = [];
  const fresh = await tailTorchRun({ exportDir, sink: { emit: (e) => again.push(e) }, intervalMs: 60_000, fresh: true });
  await fresh.poll();
  assert.equal(again.length, 0);
  status({ step: 1, start_step: 1, resumed_from: 'ckpt-000001' });
  appendFileSync(join(runDir, 'train_log.jsonl'), JSON.stringify({ step: 2, loss: 2.5, tokens_per_sec: 1, step_ms: 1, elapsed_s: 2, lr: 0.1 }) + '\n');
  await fresh.stop();
  assert.deepEqual(
    again.map((e) => [e.type, e.step]),
    [
      ['run/started', 1],
      ['step', 2],
    ],
  );
});
