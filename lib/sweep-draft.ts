// The studio's side of sweeps: turning what a person typed into an axis (a list of values, or a
// linear or log range with a count), and adding or removing axes of the document's sweep (at most
// two: a grid). The sweep lives in the document (`sweep`), so saving and sharing carry it.
import { linearValues, logValues, MAX_SWEEP_AXES, MAX_SWEEP_POINTS, type SweepAxis, type SweepDefinition, type SweepValue } from '../engine/sweep/sweep';

export type SweepDraft = { mode: 'list'; text: string } | { mode: 'linear' | 'log'; from: number; to: number; count: number };

export type DraftResult = { ok: true; values: SweepValue[] } | { ok: false; message: string };

/**
 * The values a draft names, for a field of `kind` (numbers parsed; enum options checked).
 * @example draftValues({ mode: 'log', from: 1e-4, to: 1e-2, count: 3 }, 'number') // { ok: true, values: [1e-4, 1e-3, 1e-2] }
 */
export function draftValues(draft: SweepDraft, kind: 'number' | 'integer' | 'enum', options: readonly string[] = []): DraftResult {
  if (draft.mode !== 'list') {
    if (kind === 'enum') return { ok: false, message: 'a range needs a numeric field' };
    if (!Number.isInteger(draft.count) || draft.count < 1 || draft.count > MAX_SWEEP_POINTS)
      return { ok: false, message: `count must be 1 to ${MAX_SWEEP_POINTS}` };
    if (!Number.isFinite(draft.from) || !Number.isFinite(draft.to)) return { ok: false, message: 'from and to must be numbers' };
    if (draft.mode === 'log' && !(draft.from > 0 && draft.to > 0)) return { ok: false, message: 'a log range needs from and to above 0' };
    const values = draft.mode === 'linear' ? linearValues(draft.from, draft.to, draft.count) : logValues(draft.from, draft.to, draft.count);
    return kind === 'integer' ? integers(values) : { ok: true, values };
  }
  const items = draft.text
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  if (!items.length) return { ok: false, message: 'list at least one value, separated by commas' };
  if (kind === 'enum') {
    const unknown = items.find((i) => !options.includes(i));
    return unknown ? { ok: false, message: `"${unknown}" is not one of ${options.join(', ')}` } : { ok: true, values: unique(items) };
  }
  const numbers = items.map(Number);
  const bad = items.find((_, i) => !Number.isFinite(numbers[i]));
  if (bad !== undefined) return { ok: false, message: `"${bad}" is not a number` };
  return kind === 'integer' ? integers(numbers) : { ok: true, values: unique(numbers) };
}

function integers(values: number[]): DraftResult {
  const rounded = unique(values.map(Math.round));
  return rounded.every((v, i) => v === values[i]) || rounded.length === values.length
    ? { ok: true, values: rounded }
    : { ok: false, message: 'the range does not give distinct whole numbers' };
}

function unique<T extends SweepValue>(values: T[]): T[] {
  return [...new Set(values)];
}

/** The sweep with `axis` set: replacing the axis of the same field, else added (a third replaces the second). */
export function withAxis(sweep: SweepDefinition | undefined, axis: SweepAxis): SweepDefinition {
  const axes = (sweep?.axes ?? []).filter((a) => a.nodeId !== axis.nodeId || a.field !== axis.field);
  return { ...sweep, axes: [...axes.slice(0, MAX_SWEEP_AXES - 1), axis] };
}

/** The sweep without that field's axis; undefined once no axis is left. */
export function withoutAxis(sweep: SweepDefinition | undefined, nodeId: string, field: string): SweepDefinition | undefined {
  const axes = (sweep?.axes ?? []).filter((a) => a.nodeId !== nodeId || a.field !== field);
  return axes.length ? { ...sweep, axes } : undefined;
}

/** Points in the grid. */
export function pointCount(sweep: SweepDefinition | undefined): number {
  return sweep ? sweep.axes.reduce((n, a) => n * a.values.length, 1) : 0;
}
