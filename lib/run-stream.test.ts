// The stream reducer: whatever order and repetition batches arrive in, the view equals the one
// built from the stream delivered once in order; a resumed segment replaces the steps it replays.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunEvent } from '../engine/events';
import { Rng } from '../engine/random';
import {
  applyEvents,
  applyStatus,
  displayState,
  emptyRun,
  MAX_CHART_POINTS,
  secondsPerStep,
  SPARK_POINTS,
  type RunStatus,
  type RunView,
  type WireEvent,
} from './run-stream';

const RUN = 'r0000000000001';
const lossAt = (step: number) => 5.5 * Math.exp(-step / 40) + 1;
const lrAt = (step: number) => 0.01 * (1 - step / 1000);

/**
 * Events shaped like a node run's (engine/runtime/run.ts): run/started, the info sent at the
 * start, then per step the eval/sample/checkpoint events, the node metrics and the step summary.
 * Values depend only on the step, so a resumed stream must end up equal to an uninterrupted one.
 */
function segment(from: number, to: number, options: { resumedFrom?: string; end?: 'completed' | 'stopped' | 'failed'; every?: number } = {}): RunEvent[] {
  const every = options.every ?? 10;
  const events: RunEvent[] = [
    {
      type: 'run/started',
      step: from,
      data: { totalSteps: 1000, backend: 'wasm', parameters: 18528, tokensPerStep: 64, ...(options.resumedFrom ? { resumedFrom: options.resumedFrom } : {}) },
    },
    { type: 'node/metrics', nodeId: 'dataset', step: from, data: { train_tokens: 5_000_000, valid_tokens: 600_000, max_id: 125 } },
    { type: 'node/metrics', nodeId: 'model', step: from, data: { parameters: 18528 } },
  ];
  if (from === 0) events.push({ type: 'node/notice', nodeId: 'log', data: { message: 'W&B disabled: no WANDB_API_KEY' } });
  for (let step = from + 1; step <= to; step++) {
    if (step % every === 0) {
      events.push({ type: 'eval', nodeId: 'eval', step, data: { val_loss: lossAt(step) + 0.1, batches: 2 } });
      events.push({ type: 'sample', nodeId: 'sample', step, data: { text: `text at ${step}`, tokens: 16 } });
      const removed = step > 2 * every ? [`ckpt-${String(step - 2 * every).padStart(6, '0')}`] : [];
      events.push({
        type: 'checkpoint/saved',
        nodeId: 'checkpoint',
        step,
        data: { name: `ckpt-${String(step).padStart(6, '0')}`, bytes: 1000 + step, removed },
      });
    }
    events.push({ type: 'node/metrics', nodeId: 'loss', step, data: { loss: lossAt(step), ms: 1 } });
    events.push({ type: 'node/metrics', nodeId: 'clip', step, data: { grad_norm: 1 / step, clipped: step % 3 === 0 ? 1 : 0, ms: 0.1 } });
    events.push({ type: 'node/metrics', nodeId: 'scheduler', step, data: { lr: lrAt(step), ms: 0.01 } });
    events.push({
      type: 'step',
      step,
      data: { loss: lossAt(step), lr: lrAt(step), grad_norm: 1 / step, tokens_per_sec: 2000, step_ms: 30, elapsed_s: step * 0.03 },
    });
  }
  if (options.end) events.push({ type: 'run/finished', step: to, data: { status: options.end, elapsed_s: to * 0.03 } });
  return events;
}

/** Numbers events from `first` as the server does. */
function wire(events: RunEvent[], first = 1): WireEvent[] {
  return events.map((e, i) => ({ ...e, runId: RUN, seq: first + i }) as WireEvent);
}

/** Splits into batches of random sizes (1…max). */
function batches(events: WireEvent[], rng: Rng, max = 40): WireEvent[][] {
  const out: WireEvent[][] = [];
  for (let i = 0; i < events.length;) {
    const n = 1 + rng.index(max);
    out.push(events.slice(i, i + n));
    i += n;
  }
  return out;
}

function shuffle<T>(items: T[], rng: Rng): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.index(i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

const deliver = (run: RunView, parts: WireEvent[][]) => parts.reduce(applyEvents, run);

test('in order: charts, latest numbers, sparklines capped, checkpoints pruned, notices once', () => {
  const events = wire(segment(0, 150, { end: 'completed' }));
  const run = applyEvents(emptyRun(RUN), events);
  assert.equal(run.lastSeq, events.length);
  assert.deepEqual(run.pending, []);
  assert.deepEqual(
    run.charts.step,
    Array.from({ length: 150 }, (_, i) => i + 1),
  );
  assert.equal(run.charts.loss[149], lossAt(150));
  assert.deepEqual(run.charts.evalStep, [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150]);
  assert.equal(run.nodes.loss.metrics.loss, lossAt(150));
  assert.equal(run.nodes.dataset.metrics.train_tokens, 5_000_000);
  assert.equal(run.nodes.loss.series.loss.values.length, SPARK_POINTS);
  assert.deepEqual(run.nodes.loss.series.loss.steps.slice(-2), [149, 150]);
  assert.deepEqual(
    run.checkpoints.map((c) => c.name),
    ['ckpt-000140', 'ckpt-000150'],
  ); // keep_last 2 via `removed`
  assert.equal(run.nodes.checkpoint.checkpoint?.name, 'ckpt-000150');
  assert.equal(run.nodes.sample.sample?.text, 'text at 150');
  assert.deepEqual(run.nodes.log.notices, ['W&B disabled: no WANDB_API_KEY']);
  assert.equal(run.step, 150);
  assert.equal(run.finished?.status, 'completed');
  assert.equal(displayState(run), 'completed');
  // The applied state does not change when the same events come again.
  assert.equal(applyEvents(run, events.slice(100, 300)), run);
});

test('out of order and duplicated batches give the same view as the stream delivered once', () => {
  const events = wire(segment(0, 80, { end: 'completed' }));
  const reference = applyEvents(emptyRun(RUN), events);
  for (let seed = 1; seed <= 20; seed++) {
    const rng = new Rng(seed);
    const parts = batches(events, rng);
    // Some batches twice, and overlapping slices, all shuffled.
    const extra = parts.filter(() => rng.index(4) === 0);
    const overlaps = Array.from({ length: 5 }, () => {
      const start = rng.index(events.length);
      return events.slice(start, start + 1 + rng.index(60));
    });
    const run = deliver(emptyRun(RUN), shuffle([...parts, ...extra, ...overlaps], rng));
    assert.deepEqual(run, reference, `seed ${seed}`);
  }
});

test('a gap holds later events back until the missing seqs arrive', () => {
  const events = wire(segment(0, 20));
  let run = applyEvents(emptyRun(RUN), events.slice(0, 30));
  run = applyEvents(run, events.slice(40, 60));
  assert.equal(run.lastSeq, 30);
  assert.deepEqual(
    run.pending.map((e) => e.seq),
    events.slice(40, 60).map((e) => e.seq),
  );
  const stepsBefore = run.charts.step.length;
  run = applyEvents(run, events.slice(30, 40));
  assert.equal(run.lastSeq, 60);
  assert.deepEqual(run.pending, []);
  assert.ok(run.charts.step.length > stepsBefore);
  assert.deepEqual(run, applyEvents(emptyRun(RUN), events.slice(0, 60)));
});

test('replay after a reconnect: history from `after` plus live batches already in flight', () => {
  const events = wire(segment(0, 60, { end: 'stopped' }));
  const reference = applyEvents(emptyRun(RUN), events);
  // Connected until seq 200; the connection drops; live batches 200..260 were in flight and
  // arrive after the re-subscribe's history (which starts after the client's lastSeq).
  let run = applyEvents(emptyRun(RUN), events.slice(0, 200));
  const after = run.lastSeq;
  run = applyEvents(run, events.slice(after)); // history after `after`
  run = applyEvents(run, events.slice(199, 260)); // stale live batch: duplicates
  assert.deepEqual(run, reference);
  // A page reload starts empty and subscribes from 0: the same view again.
  assert.deepEqual(deliver(emptyRun(RUN), batches(events, new Rng(7), 2000)), reference);
});

test('a resumed segment drops points past its checkpoint: the curve continues with no duplicate', () => {
  // Stopped at step 47, newest checkpoint at 40; resume replays 41…47 and goes on to 90.
  const first = segment(0, 47, { end: 'stopped' });
  const second = segment(40, 90, { resumedFrom: 'ckpt-000040', end: 'completed' });
  const events = wire([...first, ...second]);
  let run = applyEvents(emptyRun(RUN), wire(first));
  assert.equal(run.charts.step.at(-1), 47);
  assert.equal(displayState(run), 'stopped');
  run = applyEvents(run, events.slice(first.length, first.length + 1)); // just run/started
  assert.equal(run.charts.step.at(-1), 40);
  assert.equal(run.nodes.loss.series.loss.steps.at(-1), 40);
  assert.equal(run.nodes.loss.metrics.loss, lossAt(40));
  assert.equal(run.finished, undefined);
  assert.equal(run.step, 40);
  assert.equal(run.started?.resumedFrom, 'ckpt-000040');
  run = applyEvents(run, events.slice(first.length + 1));

  // Same curves as a run that was never interrupted.
  const straight = applyEvents(emptyRun(RUN), wire(segment(0, 90, { end: 'completed' })));
  assert.deepEqual(run.charts.step, straight.charts.step);
  assert.deepEqual(run.charts.loss, straight.charts.loss);
  assert.deepEqual(run.charts.evalStep, straight.charts.evalStep);
  assert.deepEqual(run.nodes.loss.series, straight.nodes.loss.series);
  assert.deepEqual(run.nodes.clip.series.clipped, straight.nodes.clip.series.clipped);
  assert.deepEqual(
    run.samples.map((s) => s.step),
    straight.samples.map((s) => s.step),
  );
  assert.equal(run.finished?.status, 'completed');
  // Shuffled delivery of the whole two-segment stream lands on the same view.
  assert.deepEqual(deliver(emptyRun(RUN), shuffle(batches(events, new Rng(3)), new Rng(4))), run);
});

test('a restart without a checkpoint starts the curves over', () => {
  const first = segment(0, 8, { end: 'stopped' });
  const second = segment(0, 5);
  const run = applyEvents(emptyRun(RUN), wire([...first, ...second]));
  assert.deepEqual(run.charts.step, [1, 2, 3, 4, 5]);
  assert.deepEqual(run.nodes.loss.series.loss.steps, [1, 2, 3, 4, 5]);
});

test("errors land on their node; the stream's end outranks an older status", () => {
  const events = wire([
    ...segment(0, 3),
    { type: 'error', nodeId: 'loss', step: 3, data: { message: 'loss is NaN; stopping' } },
    { type: 'run/finished', step: 3, data: { status: 'failed', elapsed_s: 0.1 } },
  ]);
  let run = applyEvents(emptyRun(RUN), events);
  assert.deepEqual(run.nodes.loss.error, { message: 'loss is NaN; stopping', step: 3 });
  assert.equal(run.error?.nodeId, 'loss');
  const status: RunStatus = {
    id: RUN,
    name: 'x',
    state: 'running',
    executor: 'node',
    backend: 'wasm',
    step: 2,
    totalSteps: 1000,
    metrics: {},
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:01.000Z',
    lastSeq: 5,
  };
  run = applyStatus(run, status);
  assert.equal(displayState(run), 'failed'); // the status predates run/finished
  run = applyStatus(run, { ...status, state: 'failed', updatedAt: '2026-01-01T00:00:02.000Z', lastSeq: events.length });
  assert.equal(displayState(run), 'failed');
  // An older status arriving late is ignored.
  assert.equal(applyStatus(run, status), run);
});

test('long runs keep at most MAX_CHART_POINTS chart points, first and latest kept', () => {
  const steps = MAX_CHART_POINTS + 500;
  const events: RunEvent[] = [{ type: 'run/started', step: 0, data: { totalSteps: steps, backend: 'wasm', parameters: 1, tokensPerStep: 1 } }];
  for (let step = 1; step <= steps; step++) events.push({ type: 'step', step, data: { loss: lossAt(step), tokens_per_sec: 1, step_ms: 1, elapsed_s: step } });
  const run = batches(wire(events), new Rng(1), 3000).reduce(applyEvents, emptyRun(RUN));
  const s = run.charts.step;
  assert.ok(s.length <= MAX_CHART_POINTS && s.length > MAX_CHART_POINTS / 2, String(s.length));
  assert.equal(s[0], 1);
  assert.equal(s.at(-1), steps);
  assert.ok(
    s.every((v, i) => i === 0 || v > s[i - 1]),
    'strictly increasing',
  );
  assert.equal(run.charts.loss.length, s.length);
  assert.equal(secondsPerStep(run), 1);
});
