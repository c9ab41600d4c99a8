// The compare view's arithmetic (/compare?runs=a,b,c): curves on a chosen x axis, EMA smoothing,
// the union of several pipelines drawn as one graph with what each run changed, the table's rows,
// sorting and CSV. A run's graph is its effective one: the submitted pipeline with its hot edits
// written in, each edit also listed on its block with its step. Pure functions over run views,
// statuses and documents; no React.
import { describeChanges, diffPipelines, shortValue, type FieldChange } from '../engine/pipeline/diff';
import { editedPipeline } from '../engine/runtime/edits';
import type { Pipeline } from './document';
import { displayState, type RunStatus, type RunView } from './run-stream';

export type XAxis = 'step' | 'tokens' | 'time';
export const X_AXES: { value: XAxis; label: string }[] = [
  { value: 'step', label: 'Step' },
  { value: 'tokens', label: 'Tokens seen' },
  { value: 'time', label: 'Wall time (s)' },
];

export type CurveName = 'loss' | 'val_loss' | 'lr' | 'grad_norm' | 'tokens_per_sec';
export const CURVES: { name: CurveName; title: string; smooth: boolean }[] = [
  { name: 'loss', title: 'Train loss', smooth: true },
  { name: 'val_loss', title: 'Val loss', smooth: false },
  { name: 'lr', title: 'Learning rate', smooth: false },
  { name: 'grad_norm', title: 'Grad norm', smooth: true },
  { name: 'tokens_per_sec', title: 'Tokens/s', smooth: true },
];

/** One run's curve: x values (increasing) and y values, nulls where nothing was reported. */
export interface Curve {
  x: number[];
  y: (number | null)[];
}

/**
 * Exponential moving average with bias correction (as TensorBoard smooths): `weight` 0 leaves the
 * curve as it is, 0.99 smooths hard. Nulls are kept and skipped.
 * @example ema([1, 3], 0.5) // [1, 2.333…]
 */
export function ema(values: (number | null)[], weight: number): (number | null)[] {
  if (weight <= 0) return values;
  let last = 0;
  let n = 0;
  return values.map((v) => {
    if (v === null || !Number.isFinite(v)) return v;
    last = last * weight + (1 - weight) * v;
    n++;
    return last / (1 - weight ** n);
  });
}

/** Elapsed seconds at `step`: the step's own, else the nearest earlier step's (evals fall on steps). */
function timeAt(view: RunView, step: number): number | null {
  const { step: steps, elapsed_s } = view.charts;
  let lo = 0;
  let hi = steps.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (steps[mid] <= step) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found < 0 ? null : elapsed_s[found];
}

/** The x of a step on the chosen axis; null when it cannot be known (no run/started yet). */
function xOf(view: RunView, step: number, axis: XAxis): number | null {
  if (axis === 'step') return step;
  if (axis === 'tokens') return view.started ? step * view.started.tokensPerStep : null;
  return timeAt(view, step);
}

/**
 * One run's curve of `name` on the x axis, smoothed where the curve is (train loss, grad norm,
 * tokens/s); points without an x are dropped.
 */
export function runCurve(view: RunView | undefined, name: CurveName, axis: XAxis, smoothing: number): Curve {
  if (!view) return { x: [], y: [] };
  const c = view.charts;
  const steps = name === 'val_loss' ? c.evalStep : c.step;
  const values: (number | null)[] = name === 'val_loss' ? c.val_loss : c[name];
  const smooth = CURVES.find((k) => k.name === name)!.smooth;
  const y = smooth ? ema(values, smoothing) : values;
  const curve: Curve = { x: [], y: [] };
  steps.forEach((step, i) => {
    const x = xOf(view, step, axis);
    if (x === null || (curve.x.length && x <= curve.x[curve.x.length - 1])) return;
    curve.x.push(x);
    curve.y.push(y[i] ?? null);
  });
  return curve;
}

/**
 * Several curves on one shared, increasing x (uPlot's aligned data): [x, y1, y2, ...], null where
 * a run has no point at that x.
 */
export function alignCurves(curves: Curve[]): [number[], ...(number | null)[][]] {
  const xs = [...new Set(curves.flatMap((c) => c.x))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const columns = curves.map((c) => {
    const column: (number | null)[] = new Array(xs.length).fill(null);
    c.x.forEach((x, i) => (column[index.get(x)!] = c.y[i]));
    return column;
  });
  return [xs, ...columns];
}

/** A row of the compare table. */
export interface CompareRow {
  id: string;
  name: string;
  /** What sets this run apart from the first one (its sweep values, or its changed fields). */
  label: string;
  executor: string;
  parameters?: number;
  tokens?: number;
  bestValLoss?: number;
  bestValStep?: number;
  finalValLoss?: number;
  finalValStep?: number;
  wallS?: number;
  tokensPerSec?: number;
  state: string;
}

export function compareRow(id: string, status: RunStatus | undefined, view: RunView | undefined, label: string): CompareRow {
  const c = view?.charts;
  let best: number | undefined;
  let bestStep: number | undefined;
  c?.val_loss.forEach((v, i) => {
    if (best === undefined || v < best) [best, bestStep] = [v, c.evalStep[i]];
  });
  const step = view?.step ?? status?.step ?? 0;
  const last = <T>(xs: T[] | undefined) => (xs?.length ? xs[xs.length - 1] : undefined);
  return {
    id,
    name: status?.name ?? id,
    label,
    executor: status ? `${status.executor} · ${status.backend}` : '–',
    parameters: view?.started?.parameters,
    tokens: view?.started ? step * view.started.tokensPerStep : undefined,
    bestValLoss: best,
    bestValStep: bestStep,
    finalValLoss: last(c?.val_loss),
    finalValStep: last(c?.evalStep),
    wallS: last(c?.elapsed_s),
    tokensPerSec: last(c?.tokens_per_sec),
    // The stream says a run finished before the next status broadcast does.
    state: view && (view.status || view.finished) ? displayState(view) : (status?.state ?? 'unknown'),
  };
}

export type SortKey = keyof CompareRow;

/** Rows sorted by a column; rows without a value go last either way. */
export function sortRows(rows: CompareRow[], key: SortKey, descending: boolean): CompareRow[] {
  return [...rows].sort((a, b) => {
    const [x, y] = [a[key], b[key]];
    if (x === undefined || y === undefined) return x === undefined ? (y === undefined ? 0 : 1) : -1;
    const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
    return descending ? -order : order;
  });
}

const CSV_COLUMNS: [SortKey, string][] = [
  ['id', 'run'],
  ['name', 'name'],
  ['label', 'differs'],
  ['executor', 'executor'],
  ['parameters', 'parameters'],
  ['tokens', 'tokens'],
  ['bestValLoss', 'best_val_loss'],
  ['bestValStep', 'best_val_step'],
  ['finalValLoss', 'final_val_loss'],
  ['finalValStep', 'final_val_step'],
  ['wallS', 'wall_s'],
  ['tokensPerSec', 'tokens_per_sec'],
  ['state', 'state'],
];

/** The table as CSV (RFC 4180 quoting), one line per run. */
export function toCsv(rows: CompareRow[]): string {
  const cell = (v: unknown) => {
    const text = v === undefined ? '' : String(v);
    return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return [CSV_COLUMNS.map(([, h]) => h).join(','), ...rows.map((r) => CSV_COLUMNS.map(([k]) => cell(r[k])).join(','))].join('\n') + '\n';
}

/** A value as the diff shows it (engine/pipeline/diff.ts). */
export const formatDiffValue = shortValue;

/** "scheduler.lr 0.01 → 0.003, clip.max_norm 1 → 0.5" */
export function changeLabel(changes: FieldChange[]): string {
  return describeChanges(changes, Infinity);
}

/** A live edit of a run, as its stream reports it (`run/edited`; RunView.edits). */
export interface HotEdit {
  step: number;
  nodeId: string;
  changes: Record<string, [unknown, unknown]>;
}

/**
 * A run's effective graph: its submitted pipeline with its hot edits written in, oldest first.
 * @example effectivePipeline(doc, [{ step: 40, nodeId: 'scheduler', changes: { lr: [0.003, 0.001] } }]) // scheduler.lr 0.001
 */
export function effectivePipeline(doc: Pipeline, edits: readonly HotEdit[] = []): Pipeline {
  return edits.reduce(
    (d, e) => editedPipeline(d, { nodeId: e.nodeId, params: Object.fromEntries(Object.entries(e.changes).map(([f, [, v]]) => [f, v])) }),
    doc,
  );
}

/** "lr 0.003 → 0.001 @ step 40" (with `scheduler.` in front when `withNode`). */
export function editLabel(edit: HotEdit, withNode = false): string {
  const prefix = withNode ? `${edit.nodeId}.` : '';
  return (
    Object.entries(edit.changes)
      .map(([f, [a, b]]) => `${prefix}${f} ${shortValue(a)} → ${shortValue(b)}`)
      .join(', ') + ` @ step ${edit.step}`
  );
}

/** How each block of the union graph differs across the compared runs. */
export interface BlockDiff {
  /**
   * changed: some run changed a field, or the runs' hot edits of it differ; added: missing from
   * the first run; removed: missing from a later run.
   */
  status: 'same' | 'changed' | 'added' | 'removed';
  /** Per run (index into the runs), the fields of its effective graph that differ from the first run's. */
  changes: { run: number; field: string; old: unknown; new: unknown }[];
  /** Every run's hot edits of the block, in order. */
  edits: { run: number; edit: HotEdit }[];
  /** Runs that lack the block. */
  missingIn: number[];
}

export interface GraphComparison {
  /** The first run's pipeline plus the blocks and wires only later runs have. */
  union: Pipeline;
  blocks: Record<string, BlockDiff>;
  /** Wire ids of `union` that some run lacks (added: not in the first run). */
  edges: Record<string, 'added' | 'removed'>;
  /** Every run's pipeline trains the same graph as the first. */
  identical: boolean;
}

/**
 * The compared runs' effective graphs as one graph, the first run's as the reference. `edits[i]`
 * are run i's hot edits: runs that differ only in them (or in their steps) are not identical.
 */
export function compareGraphs(submitted: Pipeline[], edits: readonly (readonly HotEdit[] | undefined)[] = []): GraphComparison {
  const docs = submitted.map((doc, i) => effectivePipeline(doc, edits[i]));
  const [base, ...others] = docs;
  const union: Pipeline = structuredClone(base);
  const blocks: Record<string, BlockDiff> = Object.fromEntries(base.nodes.map((n) => [n.id, { status: 'same', changes: [], edits: [], missingIn: [] }]));
  const edges: Record<string, 'added' | 'removed'> = {};
  const edgeKey = (e: { source: string; sourceHandle: string; target: string; targetHandle: string }) =>
    `${e.source}.${e.sourceHandle}->${e.target}.${e.targetHandle}`;
  const unionEdges = new Map(union.edges.map((e) => [edgeKey(e), e.id]));
  let identical = true;
  others.forEach((doc, k) => {
    const run = k + 1;
    const diff = diffPipelines(base, doc);
    identical &&= diff.identical;
    for (const change of diff.changed) {
      const block = blocks[change.nodeId];
      if (!block) continue; // training settings: shown in the table's label
      block.changes.push({ run, field: change.field, old: change.old, new: change.new });
      if (block.status === 'same') block.status = 'changed';
    }
    for (const { id } of diff.removedNodes) {
      blocks[id].missingIn.push(run);
      blocks[id].status = 'removed';
    }
    for (const { id } of diff.addedNodes) {
      if (!blocks[id]) {
        union.nodes.push(structuredClone(doc.nodes.find((n) => n.id === id)!));
        blocks[id] = { status: 'added', changes: [], edits: [], missingIn: [0] };
      }
    }
    for (const e of diff.addedEdges) {
      if (unionEdges.has(edgeKey(e))) continue;
      const id = `diff-${run}-${union.edges.length}`;
      union.edges.push({ id, ...e });
      unionEdges.set(edgeKey(e), id);
      edges[id] = 'added';
    }
    for (const e of diff.removedEdges) edges[unionEdges.get(edgeKey(e))!] ??= 'removed';
  });
  for (const [id, block] of Object.entries(blocks)) {
    if (block.status === 'added') block.missingIn = docs.flatMap((doc, i) => (doc.nodes.some((n) => n.id === id) ? [] : [i]));
  }
  const sameEdits = markEdits(
    blocks,
    docs.map((_, i) => edits[i] ?? []),
  );
  identical &&= sameEdits;
  return { union, blocks, edges, identical };
}

/** Lists each run's hot edits on their blocks; true when every run made the same edits at the same steps. */
function markEdits(blocks: Record<string, BlockDiff>, edits: readonly (readonly HotEdit[])[]): boolean {
  const key = (list: readonly HotEdit[]) => JSON.stringify(list.map((e) => [e.step, e.nodeId, e.changes]));
  for (const [id, block] of Object.entries(blocks)) {
    const perRun = edits.map((list) => list.filter((e) => e.nodeId === id));
    perRun.forEach((list, run) => block.edits.push(...list.map((edit) => ({ run, edit }))));
    if (block.status === 'same' && new Set(perRun.map(key)).size > 1) block.status = 'changed';
  }
  return new Set(edits.map(key)).size <= 1;
}

/**
 * What sets run `i` apart from the first in the table and legends (where sweep values do not):
 * the fields it was submitted with, then its hot edits with their steps when the runs' edits differ.
 */
export function runLabel(submitted: Pipeline[], edits: readonly (readonly HotEdit[] | undefined)[], i: number): string {
  if (i === 0) return 'reference';
  const changes = diffPipelines(submitted[0], submitted[i]).changed;
  const own = edits[i] ?? [];
  const sameEdits = JSON.stringify(edits[0] ?? []) === JSON.stringify(own);
  const parts = [
    ...(changes.length ? [changeLabel(changes)] : []),
    ...(sameEdits ? [] : own.length ? own.map((e) => `edited ${editLabel(e, true)}`) : ['no hot edits']),
  ];
  return parts.length ? parts.join('; ') : 'same graph';
}
