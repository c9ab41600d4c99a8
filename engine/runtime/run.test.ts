// Runtime: trains for real on a small synthetic corpus; resume equals the uninterrupted run;
// tensor count stays flat; non-finite losses stop the run on the loss node.
import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, test } from 'node:test';
import { compile } from '../compiler/compile';
import { encodeNpy } from '../data/npy';
import { collectEvents, type RunEvent } from '../events';
import { useBackend } from '../node/backend';
import { Rng } from '../random';
import type { Plan } from '../plan';
import { memoryIO } from './memory-io';
import { runPlan } from './run';

const smoke = JSON.parse(readFileSync(new URL('../../pipelines/smoke.json', import.meta.url), 'utf8'));

/** A noisy cycle over 32 ids: learnable in a few dozen steps, far from uniform. */
function syntheticIds(n: number, seed: number): Uint16Array {
  const rng = new Rng(seed);
  const ids = new Uint16Array(n);
  for (let i = 1; i < n; i++) ids[i] = rng.uniform() < 0.9 ? (ids[i - 1] * 5 + 3) % 32 : rng.index(32);
  return ids;
}
const data = () => ({ train: encodeNpy(syntheticIds(20_000, 1)), valid: encodeNpy(syntheticIds(4_000, 2)) });

function planFor(edit: (doc: any) => void = () => {}): Plan {
  const doc = structuredClone(smoke);
  const set = (id: string, params: Record<string, unknown>) => Object.assign(doc.nodes.find((n: any) => n.id === id).params, params);
  set('dataset', { source: 'files' });
  set('model', { vocab_size: 32 });
  set('sample', { prompt: '', every: 1000 });
  edit(doc);
  const result = compile(doc);
  assert.ok(result.ok, JSON.stringify(!result.ok && result.diagnostics));
  return result.plan;
}

const losses = (events: RunEvent[]) => events.flatMap((e) => (e.type === 'step' ? [[e.step, e.data.loss] as const] : []));

let backend = '';
before(async () => {
  backend = await useBackend('wasm');
});

test('trains: loss falls, events arrive in order, log lines and checkpoints are written', async () => {
  const plan = planFor((doc) => (doc.training.steps = 40));
  const io = memoryIO(data());
  const sink = collectEvents();
  const result = await runPlan({ plan, io, sink, backendName: backend });
  assert.equal(result.status, 'completed');
  assert.equal(result.step, 40);
  const curve = losses(sink.events);
  assert.deepEqual(
    curve.map(([s]) => s),
    Array.from({ length: 40 }, (_, i) => i + 1),
  );
  const first = curve.slice(0, 5).reduce((a, [, l]) => a + l, 0) / 5;
  const last = curve.slice(-5).reduce((a, [, l]) => a + l, 0) / 5;
  assert.ok(Math.abs(curve[0][1] - Math.log(32)) < 0.3, `starts near ln(32): ${curve[0][1]}`);
  assert.ok(last < first - 0.7, `loss falls: ${first.toFixed(3)} -> ${last.toFixed(3)}`);
  assert.equal(sink.events[0].type, 'run/started');
  assert.equal(sink.events.at(-1)!.type, 'run/finished');
  const lines = io.logLines.map((l) => JSON.parse(l));
  assert.equal(lines.length, 40); // smoke logs every step
  for (const key of ['step', 'loss', 'lr', 'grad_norm', 'tokens_per_sec', 'elapsed_s']) assert.equal(typeof lines[0][key], 'number', key);
  assert.ok(
    lines.some((l) => typeof l.val_loss === 'number'),
    'eval lines carry val_loss',
  );
  assert.deepEqual(
    (await io.checkpoints.list()).map((c) => c.name),
    ['ckpt-000030', 'ckpt-000040'],
  ); // keep_last 2
  assert.ok(sink.events.some((e) => e.type === 'node/metrics' && e.nodeId === 'loss' && typeof e.data.loss === 'number'));
  assert.ok(sink.events.some((e) => e.type === 'node/metrics' && e.nodeId === 'optimizer' && typeof e.data.lr === 'number'));
});

test('resuming from step k gives exactly the losses of the uninterrupted run from k on', async () => {
  const plan = planFor((doc) => {
    doc.training.steps = 16;
    doc.nodes.find((n: any) => n.id === 'checkpoint').params.every = 8;
    doc.nodes.find((n: any) => n.id === 'backward').params.grad_accum_steps = 2;
  });
  const io = memoryIO(data());
  const full = collectEvents();
  await runPlan({ plan, io, sink: full, backendName: backend });
  const saved = await io.checkpoints.load('ckpt-000008');

  const resumed = collectEvents();
  const result = await runPlan({ plan, io: memoryIO(data()), sink: resumed, backendName: backend, resume: { name: 'ckpt-000008', ...saved } });
  assert.equal(result.status, 'completed');
  const started = resumed.events[0];
  assert.equal(started.type === 'run/started' && started.step, 8);
  assert.deepEqual(
    losses(resumed.events),
    losses(full.events).filter(([s]) => s > 8),
  );
});

test('tf.memory().numTensors is flat across steps', async () => {
  const plan = planFor((doc) => (doc.training.steps = 30));
  const counts = new Map<number, number>();
  await runPlan({
    plan,
    io: memoryIO(data()),
    backendName: backend,
    sink: { emit: (e) => void (e.type === 'step' && counts.set(e.step, tf.memory().numTensors)) },
  });
  assert.equal(counts.get(30), counts.get(5), `tensors at step 5: ${counts.get(5)}, at step 30: ${counts.get(30)}`);
  assert.ok(counts.get(5)! > 0);
});

test('a run leaves no tensors behind', async () => {
  const before = tf.memory().numTensors;
  await runPlan({ plan: planFor((doc) => (doc.training.steps = 3)), io: memoryIO(data()), sink: collectEvents(), backendName: backend });
  assert.equal(tf.memory().numTensors, before);
});

test('a diverging run stops on the loss node before the update and keeps its last good checkpoint', async () => {
  const plan = planFor((doc) => {
    doc.training.steps = 40;
    const set = (id: string, params: Record<string, unknown>) => Object.assign(doc.nodes.find((n: any) => n.id === id).params, params);
    set('checkpoint', { every: 2 });
    set('clip', { max_norm: 0 });
    set('optimizer', { kind: 'sgd', momentum: 0 });
    set('scheduler', { kind: 'constant', lr: 10, warmup_steps: 0 });
  });
  // lr 10 with plain SGD: fine for a couple of steps, then the loss explodes past float32.
  Object.assign(plan.nodes.find((n) => n.id === 'scheduler')!.params, { lr: 1e6 });
  const io = memoryIO(data());
  const sink = collectEvents();
  const result = await runPlan({ plan, io, sink, backendName: backend });
  assert.equal(result.status, 'failed');
  const error = sink.events.find((e) => e.type === 'error');
  assert.ok(error && error.type === 'error');
  assert.ok(error.nodeId === 'loss' || error.nodeId === 'clip', `error on ${error.nodeId}`);
  assert.match(error.data.message, /NaN|Infinity/);
  const kept = await io.checkpoints.list();
  if (kept.length) {
    // Every kept checkpoint holds finite weights.
    const { weights } = await io.checkpoints.load(kept.at(-1)!.name);
    const { decodeCheckpointTensors } = await import('../checkpoint/checkpoint');
    const tensors = decodeCheckpointTensors(weights);
    for (const [name, t] of tensors) {
      assert.ok((t.dataSync() as Float32Array).every(Number.isFinite), `${name} is finite`);
      t.dispose();
    }
  }
});

test('grad accumulation: 2 x batch 2 equals 1 x batch 4 over the same windows', async () => {
  const run = async (batch: number, accum: number) => {
    const plan = planFor((doc) => {
      doc.training.steps = 3;
      Object.assign(doc.nodes.find((n: any) => n.id === 'get_batch').params, { batch_size: batch });
      Object.assign(doc.nodes.find((n: any) => n.id === 'backward').params, { grad_accum_steps: accum });
    });
    const sink = collectEvents();
    await runPlan({ plan, io: memoryIO(data()), sink, backendName: backend });
    return losses(sink.events).map(([, l]) => l);
  };
  const a = await run(4, 1);
  const b = await run(2, 2);
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-5, `step ${i + 1}: ${a[i]} vs ${b[i]}`);
});

test('a model too small for the data is refused before training, on model.vocab_size', async () => {
  const plan = planFor((doc) => Object.assign(doc.nodes.find((n: any) => n.id === 'model').params, { vocab_size: 16 }));
  const sink = collectEvents();
  const result = await runPlan({ plan, io: memoryIO(data()), sink, backendName: backend });
  assert.equal(result.status, 'failed');
  const error = sink.events.find((e) => e.type === 'error');
  assert.ok(error?.type === 'error' && error.nodeId === 'model' && error.data.field === 'vocab_size');
  assert.equal(losses(sink.events).length, 0);
});

test('stop and pause between steps', async () => {
  let paused = true;
  let release: () => void = () => {};
  const control = {
    stopRequested: false,
    waitWhilePaused: () => (paused ? new Promise<void>((r) => (release = r)) : Promise.resolve()),
  };
  const sink = collectEvents();
  const running = runPlan({
    plan: planFor((doc) => (doc.training.steps = 50)),
    io: memoryIO(data()),
    backendName: backend,
    control,
    sink: {
      emit: (e) => {
        sink.emit(e);
        if (e.type === 'step' && e.step === 3) control.stopRequested = true;
      },
    },
  });
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(losses(sink.events).length, 0, 'paused before the first step');
  paused = false;
  release();
  const result = await running;
  assert.equal(result.status, 'stopped');
  assert.equal(result.step, 3);
});

test('on_nonfinite skip: a NaN step is skipped, training goes on, and the weights stay finite', async () => {
  const plan = planFor((doc) => {
    doc.training.steps = 6;
    Object.assign(doc.nodes.find((n: any) => n.id === 'backward').params, { on_nonfinite: 'skip' });
  });
  // Poison the batches of steps 3 and 4: a loss node that returns NaN for them.
  const { registry } = await import('../nodes');
  const { implementationsFor } = await import('./kinds');
  const implementations = implementationsFor(registry);
  const lossDef = implementations.get('loss')!;
  let calls = 0;
  const poisoned = {
    ...lossDef,
    create: (p: any, ctx: any) => {
      const inner = lossDef.create(p, ctx) as any;
      return {
        step: (inputs: any, c: any) => {
          calls++;
          const out = inner.step(inputs, c);
          return calls === 3 || calls === 4 ? { loss: tf.mul(out.loss, NaN) } : out;
        },
      };
    },
  };
  const sink = collectEvents();
  const result = await runPlan({
    plan,
    io: memoryIO(data()),
    sink,
    backendName: backend,
    implementations: new Map([...implementations, ['loss', poisoned]]),
  });
  assert.equal(result.status, 'completed');
  const notices = sink.events.filter((e) => e.type === 'node/notice' && e.nodeId === 'backward');
  assert.equal(notices.length, 2);
  const finite = losses(sink.events)
    .filter(([, l]) => Number.isFinite(l))
    .map(([s]) => s);
  assert.deepEqual(finite, [1, 2, 5, 6]);
});

test('every node that runs reports its wall time; backward includes its forward pass', async () => {
  const plan = planFor((doc) => (doc.training.steps = 3));
  const sink = collectEvents();
  await runPlan({ plan, io: memoryIO(data()), sink, backendName: backend });
  const ms = (nodeId: string) => sink.events.find((e) => e.type === 'node/metrics' && e.nodeId === nodeId && e.step === 3 && 'ms' in e.data) as any;
  for (const id of ['get_batch', 'model', 'loss', 'backward', 'clip', 'scheduler', 'optimizer']) assert.ok(ms(id)?.data.ms >= 0, id);
  assert.ok(ms('backward').data.ms >= ms('model').data.ms, 'backward time covers the forward pass it ran');
});
