// What the studio knows about a run, rebuilt from its event stream (docs/events.md): a pure
// reducer over numbered wire events. It keeps each event exactly once whatever the transport
// does (duplicates from a re-subscribe are dropped, batches that overtake each other wait for the
// missing seqs), and it trims everything past a resume point when a resumed segment starts.
// No React, no socket: lib/run-client.ts feeds it, components read it through lib/runs-store.ts.
import type { RunEvent } from '../engine/events';
import { addInsideView, insideViewsUpTo, type InsideView } from './model-insides';

/** An event as the server sends it: the engine's event plus its run and place in the stream. */
export type WireEvent = RunEvent & { runId: string; seq: number };

export type RunState = 'queued' | 'running' | 'paused' | 'completed' | 'stopped' | 'failed' | 'interrupted';

/** States a run does not leave by itself (docs/api.md). */
export const FINAL_STATES: readonly RunState[] = ['completed', 'stopped', 'failed', 'interrupted'];

/** A run's status as `GET /api/runs/:id` and the `runs` broadcast give it (docs/api.md). */
export interface RunStatus {
  id: string;
  name: string;
  state: RunState;
  executor: string;
  backend: string;
  step: number;
  totalSteps: number;
  metrics: Record<string, number>;
  createdAt: string;
  updatedAt: string;
  startedAt?: string;
  finishedAt?: string;
  error?: { message: string; nodeId?: string; field?: string };
  lastCheckpoint?: string;
  resumeFrom?: string;
  /** The checkpoint the run started from: an upload, or another run's (a browser checkpoint continued on the server). */
  resumedFrom?: { upload?: string; run?: string; name: string; step: number; executor?: string };
  /** A fork: the run and checkpoint it started from (docs/api.md, "Forks"). */
  parent?: { run: string; checkpoint: string; step: number; optimizerState?: 'kept' | 'fresh' };
  /** The last resume of a stopped or interrupted run: steps step+1 … reached are trained again. */
  resumed?: { at: string; checkpoint?: string; step: number; reached: number };
  /** The sweep this run is a point of (docs/api.md, "Sweeps"), and the point's values. */
  sweep?: { id: string; values: Record<string, string | number | boolean> };
  lastSeq: number;
}

/** Recent values of one metric with the steps they belong to (a block's sparkline). */
export interface Series {
  steps: number[];
  values: number[];
}

/** Everything one node reported in the run. */
export interface NodeLive {
  /** Latest value of every number the node reported (`loss`, `ms`, `parameters`, ...). */
  metrics: Record<string, number>;
  /** Recent history per metric, at most SPARK_POINTS values each. */
  series: Record<string, Series>;
  /** The runtime error the node raised (the run failed on it). */
  error?: { message: string; field?: string; step?: number };
  /** Notes that are not errors (`W&B disabled: no key`), each once. */
  notices: string[];
  /** The latest checkpoint a checkpoint node wrote. */
  checkpoint?: { name: string; bytes: number; step: number };
  /** The latest text a sample node generated. */
  sample?: { text: string; tokens: number; step: number };
}

/** The run's curves: one point per `step` event, one per `eval` event. */
export interface RunCharts {
  step: number[];
  loss: number[];
  lr: (number | null)[];
  grad_norm: (number | null)[];
  tokens_per_sec: number[];
  step_ms: number[];
  elapsed_s: number[];
  evalStep: number[];
  val_loss: number[];
}

export interface RunView {
  runId: string;
  /** Highest seq applied; every seq up to it has been applied exactly once. */
  lastSeq: number;
  /** Events that arrived ahead of a missing seq, waiting for it (sorted by seq). */
  pending: WireEvent[];
  /** The server's latest status (subscribe ack, `runs` broadcast, a control reply). */
  status?: RunStatus;
  /** The current segment's `run/started` (a resume starts a new segment). */
  started?: { step: number; totalSteps: number; backend: string; matmul?: string; parameters: number; tokensPerStep: number; resumedFrom?: string };
  /** Optimizer steps completed, as the stream last said. */
  step: number;
  nodes: Record<string, NodeLive>;
  charts: RunCharts;
  samples: { nodeId: string; step: number; text: string }[];
  /** Checkpoints present (saved and not pruned), oldest first. */
  checkpoints: { nodeId: string; name: string; bytes: number; step: number }[];
  /** The segment's `run/finished`, with its seq (to tell it from an older status). */
  finished?: { status: 'completed' | 'stopped' | 'failed'; elapsed_s: number; lastCheckpoint?: string; seq: number };
  /** The last `error` event of the segment. */
  error?: { message: string; nodeId?: string; field?: string };
  /** The run's live edits, oldest first (a resumed run's replays are not repeated). */
  edits?: { step: number; nodeId: string; changes: Record<string, [unknown, unknown]> }[];
  /** Inside views by model block id, oldest first (lib/model-insides.ts). */
  insides?: Record<string, InsideView[]>;
}

/** Values kept per node metric for sparklines (and the clipped fraction). */
export const SPARK_POINTS = 120;
/** Samples kept per run. */
export const SAMPLES_KEPT = 20;
/** Chart points kept per series; past it every other point is dropped (the shape stays). */
export const MAX_CHART_POINTS = 20_000;
/** Events held waiting for a missing seq before the gap is given up on (a bug elsewhere). */
export const MAX_PENDING = 20_000;

export function emptyCharts(): RunCharts {
  return { step: [], loss: [], lr: [], grad_norm: [], tokens_per_sec: [], step_ms: [], elapsed_s: [], evalStep: [], val_loss: [] };
}

/**
 * A run the client has seen nothing of yet.
 * @example emptyRun('0mx12bdyhkuvf').lastSeq // 0
 */
export function emptyRun(runId: string): RunView {
  return { runId, lastSeq: 0, pending: [], step: 0, nodes: {}, charts: emptyCharts(), samples: [], checkpoints: [] };
}

/**
 * The run's state as the UI shows it: the status, unless the stream has since reported the end of
 * the run (events arrive every 100 ms, statuses about once a second).
 * @example displayState({ ...emptyRun('x'), status: { ...s, state: 'running', lastSeq: 10 }, finished: { status: 'completed', elapsed_s: 1, seq: 12 } }) // 'completed'
 */
export function displayState(run: RunView): RunState {
  if (run.finished && run.finished.seq > (run.status?.lastSeq ?? 0)) return run.finished.status;
  return run.status?.state ?? run.finished?.status ?? (run.started ? 'running' : 'queued');
}

/** Whether the run may still produce events (or be paused, resumed, stopped). */
export function isActive(state: RunState): boolean {
  return state === 'queued' || state === 'running' || state === 'paused';
}

/** Keeps every other point once a series is too long; the first and latest points stay. */
function decimate<T>(values: T[]): T[] {
  const out: T[] = [];
  for (let i = 0; i < values.length; i += 2) out.push(values[i]);
  if (out[out.length - 1] !== values[values.length - 1]) out.push(values[values.length - 1]);
  return out;
}

function trimSeries(series: Series, step: number): Series {
  let n = series.steps.length;
  while (n > 0 && series.steps[n - 1] > step) n--;
  return n === series.steps.length ? series : { steps: series.steps.slice(0, n), values: series.values.slice(0, n) };
}

/** Drops everything recorded after `step`: a resumed segment replays those steps. */
function trimAfter(run: RunView, step: number): RunView {
  const c = run.charts;
  let n = c.step.length;
  while (n > 0 && c.step[n - 1] > step) n--;
  let e = c.evalStep.length;
  while (e > 0 && c.evalStep[e - 1] > step) e--;
  const charts: RunCharts =
    n === c.step.length && e === c.evalStep.length
      ? c
      : {
          step: c.step.slice(0, n),
          loss: c.loss.slice(0, n),
          lr: c.lr.slice(0, n),
          grad_norm: c.grad_norm.slice(0, n),
          tokens_per_sec: c.tokens_per_sec.slice(0, n),
          step_ms: c.step_ms.slice(0, n),
          elapsed_s: c.elapsed_s.slice(0, n),
          evalStep: c.evalStep.slice(0, e),
          val_loss: c.val_loss.slice(0, e),
        };
  const nodes: Record<string, NodeLive> = {};
  for (const [id, node] of Object.entries(run.nodes)) {
    const series: Record<string, Series> = {};
    for (const [name, s] of Object.entries(node.series)) series[name] = trimSeries(s, step);
    // Latest values come back with the resumed steps; until then show the last kept ones.
    const metrics = { ...node.metrics };
    for (const [name, s] of Object.entries(series)) if (s.values.length) metrics[name] = s.values[s.values.length - 1];
    nodes[id] = {
      ...node,
      series,
      metrics,
      error: undefined,
      checkpoint: node.checkpoint && node.checkpoint.step <= step ? node.checkpoint : undefined,
      sample: node.sample && node.sample.step <= step ? node.sample : undefined,
    };
  }
  const insides = run.insides && Object.fromEntries(Object.entries(run.insides).map(([id, views]) => [id, insideViewsUpTo(views, step)]));
  return {
    ...run,
    charts,
    nodes,
    ...(insides ? { insides } : {}),
    samples: run.samples.filter((s) => s.step <= step),
    checkpoints: run.checkpoints.filter((c) => c.step <= step),
    finished: undefined,
    error: undefined,
    step,
  };
}

function nodeOf(nodes: Record<string, NodeLive>, id: string): NodeLive {
  return nodes[id] ?? { metrics: {}, series: {}, notices: [] };
}

/** What a batch has already copied (and may therefore change in place). */
interface BatchCopies {
  nodes: Set<string>;
  /** `${nodeId}\0${metric}` */
  series: Set<string>;
  charts: boolean;
}

/** Applies one event (its seq already checked) to a run whose objects this batch may mutate. */
function applyOne(run: RunView, e: WireEvent, copies: BatchCopies): RunView {
  // Copy-on-first-write per batch: components compare by identity.
  const node = (id: string): NodeLive => {
    if (!copies.nodes.has(id)) {
      const old = nodeOf(run.nodes, id);
      run.nodes[id] = { ...old, metrics: { ...old.metrics }, series: { ...old.series }, notices: [...old.notices] };
      copies.nodes.add(id);
    }
    return run.nodes[id];
  };
  const chartArrays = (): RunCharts => {
    if (!copies.charts) {
      const c = run.charts;
      run.charts = {
        step: [...c.step],
        loss: [...c.loss],
        lr: [...c.lr],
        grad_norm: [...c.grad_norm],
        tokens_per_sec: [...c.tokens_per_sec],
        step_ms: [...c.step_ms],
        elapsed_s: [...c.elapsed_s],
        evalStep: [...c.evalStep],
        val_loss: [...c.val_loss],
      };
      copies.charts = true;
    }
    return run.charts;
  };

  switch (e.type) {
    case 'run/edited': {
      const edits = run.edits ?? [];
      if (e.data.replayed && edits.some((x) => x.step === e.step && x.nodeId === e.nodeId)) return run;
      run.edits = [...edits, { step: e.step, nodeId: e.nodeId, changes: e.data.changes }];
      return run;
    }
    case 'run/started': {
      // A new segment: a resume (or a restart without a checkpoint) replays steps after e.step.
      const lastChartStep = run.charts.step[run.charts.step.length - 1] ?? 0;
      if (e.data.resumedFrom !== undefined || e.step < Math.max(run.step, lastChartStep) || run.finished) {
        const trimmed = trimAfter(run, e.step);
        Object.assign(run, trimmed, { nodes: { ...trimmed.nodes } });
        copies.nodes.clear();
        copies.series.clear();
        copies.charts = false;
      }
      run.started = { step: e.step, ...e.data };
      run.step = e.step;
      run.finished = undefined;
      run.error = undefined;
      return run;
    }
    case 'node/metrics': {
      const n = node(e.nodeId);
      for (const [name, value] of Object.entries(e.data)) {
        n.metrics[name] = value;
        const key = `${e.nodeId}\0${name}`;
        if (!copies.series.has(key)) {
          const old = n.series[name] ?? { steps: [], values: [] };
          n.series[name] = { steps: [...old.steps], values: [...old.values] };
          copies.series.add(key);
        }
        const s = n.series[name];
        // One point per step: a repeated step (the info sent at the start) replaces its point.
        if (s.steps.length && s.steps[s.steps.length - 1] === e.step) {
          s.values[s.values.length - 1] = value;
        } else {
          s.steps.push(e.step);
          s.values.push(value);
        }
      }
      return run;
    }
    case 'step': {
      const c = chartArrays();
      c.step.push(e.step);
      c.loss.push(e.data.loss);
      c.lr.push(e.data.lr ?? null);
      c.grad_norm.push(e.data.grad_norm ?? null);
      c.tokens_per_sec.push(e.data.tokens_per_sec);
      c.step_ms.push(e.data.step_ms);
      c.elapsed_s.push(e.data.elapsed_s);
      if (c.step.length > MAX_CHART_POINTS) {
        run.charts = {
          ...c,
          step: decimate(c.step),
          loss: decimate(c.loss),
          lr: decimate(c.lr),
          grad_norm: decimate(c.grad_norm),
          tokens_per_sec: decimate(c.tokens_per_sec),
          step_ms: decimate(c.step_ms),
          elapsed_s: decimate(c.elapsed_s),
        };
      }
      run.step = e.step;
      return run;
    }
    case 'model/insides': {
      run.insides = { ...run.insides, [e.nodeId]: addInsideView(run.insides?.[e.nodeId] ?? [], e) };
      return run;
    }
    case 'eval': {
      const c = chartArrays();
      c.evalStep.push(e.step);
      c.val_loss.push(e.data.val_loss);
      return run;
    }
    case 'checkpoint/saved': {
      node(e.nodeId).checkpoint = { name: e.data.name, bytes: e.data.bytes, step: e.step };
      const removed = new Set(e.data.removed);
      run.checkpoints = [
        ...run.checkpoints.filter((c) => !removed.has(c.name) && c.name !== e.data.name),
        { nodeId: e.nodeId, name: e.data.name, bytes: e.data.bytes, step: e.step },
      ];
      return run;
    }
    case 'sample': {
      node(e.nodeId).sample = { text: e.data.text, tokens: e.data.tokens, step: e.step };
      run.samples = [...run.samples, { nodeId: e.nodeId, step: e.step, text: e.data.text }].slice(-SAMPLES_KEPT);
      return run;
    }
    case 'run/edit-refused': {
      const n = node(e.nodeId);
      const message = `live edit refused at step ${e.step}: ${e.data.message}`;
      if (!n.notices.includes(message)) n.notices.push(message);
      return run;
    }
    case 'node/notice': {
      const n = node(e.nodeId);
      if (!n.notices.includes(e.data.message)) n.notices.push(e.data.message);
      return run;
    }
    case 'error': {
      run.error = { message: e.data.message, ...(e.nodeId ? { nodeId: e.nodeId } : {}), ...(e.data.field ? { field: e.data.field } : {}) };
      if (e.nodeId)
        node(e.nodeId).error = { message: e.data.message, ...(e.data.field ? { field: e.data.field } : {}), ...(e.step !== undefined ? { step: e.step } : {}) };
      return run;
    }
    case 'run/finished': {
      run.finished = {
        status: e.data.status,
        elapsed_s: e.data.elapsed_s,
        ...(e.data.lastCheckpoint ? { lastCheckpoint: e.data.lastCheckpoint } : {}),
        seq: e.seq,
      };
      run.step = e.step;
      return run;
    }
  }
}

/**
 * The run after a batch of its events: seqs at or below `lastSeq` are dropped (duplicates), seqs
 * past a gap wait in `pending` until the gap is filled (by a later batch or a re-subscribe).
 * Returns `run` itself when nothing changed.
 * @example applyEvents(emptyRun('r'), [{ runId: 'r', seq: 1, type: 'run/started', step: 0, data }]).lastSeq // 1
 */
export function applyEvents(run: RunView, events: readonly WireEvent[]): RunView {
  const fresh = events.filter((e) => e.seq > run.lastSeq);
  if (!fresh.length) return run;
  const waiting = new Map<number, WireEvent>();
  for (const e of run.pending) waiting.set(e.seq, e);
  for (const e of fresh) waiting.set(e.seq, e);
  const next: RunView = { ...run, nodes: { ...run.nodes } };
  const copies: BatchCopies = { nodes: new Set(), series: new Set(), charts: false };
  let seq = run.lastSeq;
  for (;;) {
    let e = waiting.get(seq + 1);
    if (!e && waiting.size > MAX_PENDING) {
      // The gap never filled: give up on it rather than freeze the view.
      e = waiting.get(Math.min(...waiting.keys()))!;
    }
    if (!e) break;
    waiting.delete(e.seq);
    applyOne(next, e, copies);
    seq = e.seq;
  }
  // Sparklines keep their last SPARK_POINTS values (trimmed once per batch, not per event).
  for (const key of copies.series) {
    const [nodeId, name] = key.split('\0');
    const s = next.nodes[nodeId]?.series[name];
    if (s && s.steps.length > SPARK_POINTS) {
      s.steps.splice(0, s.steps.length - SPARK_POINTS);
      s.values.splice(0, s.values.length - SPARK_POINTS);
    }
  }
  next.lastSeq = seq;
  next.pending = [...waiting.values()].filter((e) => e.seq > seq).sort((a, b) => a.seq - b.seq);
  if (seq === run.lastSeq && next.pending.length === run.pending.length) return run;
  return next;
}

/**
 * The run with a newer status. A status older than the one held (by `updatedAt`) is ignored.
 * @example applyStatus(emptyRun('r'), status).status === status // true
 */
export function applyStatus(run: RunView, status: RunStatus): RunView {
  if (run.status && run.status.updatedAt > status.updatedAt && run.status.lastSeq >= status.lastSeq) return run;
  return { ...run, status };
}

/**
 * Mean seconds per step over the last `window` steps of the current segment (for an ETA), or
 * undefined before two steps.
 */
export function secondsPerStep(run: RunView, window = 50): number | undefined {
  const { step, elapsed_s } = run.charts;
  const start = Math.max(run.started?.step ?? 0, 0);
  const last = step.length - 1;
  let first = Math.max(0, last - window);
  while (first < last && step[first] <= start) first++;
  if (last - first < 1) return undefined;
  const seconds = elapsed_s[last] - elapsed_s[first];
  const steps = step[last] - step[first];
  return steps > 0 && seconds > 0 ? seconds / steps : undefined;
}
