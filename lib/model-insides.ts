// The model's inside view as the studio keeps and draws it (docs/events.md, `model/insides`):
// every `inspect_every` steps the run reports per-layer numbers for the blocks inside the model.
// This module keeps the recent views per model block (a pure reducer step, used by
// lib/run-stream.ts) and says what each inner block shows: one chart across the layers per
// metric for the blocks of the repeated transformer block, single numbers for the model's own.
import type { RunEvent } from '../engine/events';
import { formatValue } from './live-view';

/** The numbers the contract names, in the order blocks show them. */
export const INSIDE_METRICS = ['act_rms', 'grad_norm', 'attn_entropy'] as const;
export type InsideMetric = (typeof INSIDE_METRICS)[number];

/** One inner node's numbers: N entries (one per layer) inside the repeat, 1 for the model's own nodes; null = not finite. */
export type InsideNumbers = Partial<Record<InsideMetric, (number | null)[]>>;

/** The `model/insides` event (events contract version 3, engine/events.ts). */
export type ModelInsidesEvent = Extract<RunEvent, { type: 'model/insides' }>;

/** One inside view: the numbers of every inner node at one step. */
export interface InsideView {
  step: number;
  /** N: layers of the repeated block. */
  layers: number;
  blocks: Record<string, InsideNumbers>;
}

/** Views kept per model block: the latest is drawn; older ones stand in when a resume drops newer ones. */
export const INSIDE_VIEWS_KEPT = 8;

/** What a person reads for each metric: a short label, and what it is. */
export const INSIDE_LABELS: Record<InsideMetric, { label: string; title: string }> = {
  act_rms: { label: 'rms', title: "activation RMS: √mean(out²) of this block's output (first micro-batch)" },
  grad_norm: { label: 'grad', title: "L2 norm of this block's own parameter gradients, before clipping" },
  attn_entropy: { label: 'ent', title: 'attention entropy in nats: mean over batch, heads and query positions' },
};

/** Only arrays of numbers or nulls survive: a view from a newer or broken stream draws what it can. */
function cleanNumbers(raw: unknown): InsideNumbers {
  const out: InsideNumbers = {};
  if (!raw || typeof raw !== 'object') return out;
  for (const metric of INSIDE_METRICS) {
    const values = (raw as Record<string, unknown>)[metric];
    if (Array.isArray(values)) out[metric] = values.map((v) => (typeof v === 'number' && Number.isFinite(v) ? v : null));
  }
  return out;
}

/**
 * A model block's views after one `model/insides` event: the view added (or replacing one of the
 * same step, a replayed step), at most INSIDE_VIEWS_KEPT kept, oldest first.
 * @example addInsideView([], { type: 'model/insides', nodeId: 'model', step: 1, data: { layers: 2, blocks: {} } })[0].step // 1
 */
export function addInsideView(views: readonly InsideView[], e: ModelInsidesEvent): InsideView[] {
  const blocks: Record<string, InsideNumbers> = {};
  for (const [id, numbers] of Object.entries(e.data.blocks ?? {})) blocks[id] = cleanNumbers(numbers);
  const view: InsideView = { step: e.step, layers: e.data.layers, blocks };
  return [...views.filter((v) => v.step < e.step), view].slice(-INSIDE_VIEWS_KEPT);
}

/** The views taken at or before `step` (a resumed segment replays the steps after it). */
export function insideViewsUpTo(views: readonly InsideView[], step: number): InsideView[] {
  return views.every((v) => v.step <= step) ? (views as InsideView[]) : views.filter((v) => v.step <= step);
}

/** A per-layer chart on an inner block of the repeated transformer block. */
export interface InsideChart {
  metric: InsideMetric;
  label: string;
  /** One entry per layer; null where the run sent a non-finite number. */
  values: (number | null)[];
  /** Tooltip: what the metric is, at which step, and each layer's value. */
  title: string;
}

/** A single number on one of the model's own blocks (embedding, final norm, head). */
export interface InsideValue {
  metric: InsideMetric;
  label: string;
  value: number | null;
  text: string;
  title: string;
}

/** What one inner block shows of the latest inside view. */
export interface InsideFace {
  step: number;
  layers: number;
  charts: InsideChart[];
  values: InsideValue[];
}

const shown = (v: number | null) => (v === null ? 'not finite' : formatValue(v));

/**
 * What the inner block `innerId` shows of `view`: charts across the layers when it sits in the
 * repeated block (`perLayer`), single numbers otherwise; null when the view has nothing for it.
 * @example insideFace({ step: 20, layers: 2, blocks: { attn: { act_rms: [1, 2] } } }, 'attn', true)!.charts[0].values // [1, 2]
 */
export function insideFace(view: InsideView | undefined, innerId: string, perLayer: boolean): InsideFace | null {
  const numbers = view?.blocks[innerId];
  if (!view || !numbers) return null;
  const present = INSIDE_METRICS.filter((m) => numbers[m]?.length);
  if (!present.length) return null;
  const face: InsideFace = { step: view.step, layers: view.layers, charts: [], values: [] };
  for (const metric of present) {
    const values = numbers[metric]!;
    const { label, title } = INSIDE_LABELS[metric];
    if (perLayer) {
      const byLayer = values.map((v, i) => `layer ${i}: ${shown(v)}`).join('\n');
      face.charts.push({ metric, label, values, title: `${title}, step ${view.step}\n${byLayer}` });
    } else {
      const value = values[0];
      face.values.push({ metric, label, value, text: value === null ? '–' : formatValue(value), title: `${title}, step ${view.step}: ${shown(value)}` });
    }
  }
  return face;
}

/** Inner kinds that report inside numbers (positions only when learned: rope and none have no output of their own). */
export function reportsInsides(kind: string, params: Record<string, unknown>): boolean {
  if (kind === 'positions') return params.kind === 'learned';
  return ['embedding', 'norm', 'attention', 'residual', 'ffn', 'lm_head'].includes(kind);
}

/** One bar of a per-layer chart, in the chart's px; `finite` false: a short tick for a non-finite value. */
export interface InsideBar {
  x: number;
  y: number;
  width: number;
  height: number;
  finite: boolean;
}

/**
 * Bars from zero, one per layer, over `width` × `height` px, scaled to the largest value (all
 * metrics are ≥ 0); a non-finite value (null) is a 4 px tick on the baseline.
 * @example insideBars([1, 2], 20, 15).map((b) => b.height) // [7, 14]
 */
export function insideBars(values: readonly (number | null)[], width: number, height: number): InsideBar[] {
  const top = Math.max(0, ...values.filter((v): v is number => v !== null)) || 1;
  const slot = width / Math.max(values.length, 1);
  const bar = Math.max(1, Math.min(slot - (slot > 4 ? 1.5 : 0.5), 14));
  return values.map((v, i) => {
    const x = i * slot + (slot - bar) / 2;
    if (v === null) return { x, y: height - 4, width: bar, height: 4, finite: false };
    const h = Math.max(1, (Math.max(v, 0) / top) * (height - 1));
    return { x, y: height - 1 - h, width: bar, height: h, finite: true };
  });
}
