// Sweeps: one or two axes (a node's param and the values to try), expanded into a grid of points,
// each an ordinary pipeline. Every point is compiled before anything runs, and a problem is
// reported on the axis that caused it, named by node and field.
import { compile } from '../compiler/compile';
import type { Diagnostic } from '../compiler/diagnostics';
import { registry as builtInRegistry } from '../nodes';
import type { Registry } from '../nodes/registry';
import { migratePipeline } from '../pipeline/migrate';

export { MAX_SWEEP_AXES, MAX_SWEEP_POINTS, SweepAxis, SweepDefinition, SweepValue, TRAINING_NODE } from '../pipeline/sweep-definition';
import { MAX_SWEEP_AXES, MAX_SWEEP_POINTS, type SweepAxis, type SweepValue, TRAINING_FIELDS, TRAINING_NODE } from '../pipeline/sweep-definition';

export interface SweepError {
  nodeId: string;
  field: string;
  message: string;
}

export interface SweepPoint {
  /** `{"optimizer.lr": 0.001, ...}`: the axis values of this point, keyed `nodeId.field`. */
  values: Record<string, SweepValue>;
  /** The pipeline with this point's values set (a document of the input's version or newer). */
  pipeline: Record<string, unknown>;
}

export type SweepExpansion = { ok: true; points: SweepPoint[] } | { ok: false; errors: SweepError[] };

export const axisKey = (axis: Pick<SweepAxis, 'nodeId' | 'field'>) => `${axis.nodeId}.${axis.field}`;

/**
 * `count` values from `from` to `to` inclusive, evenly spaced.
 * @example linearValues(1, 3, 3) // [1, 2, 3]
 */
export function linearValues(from: number, to: number, count: number): number[] {
  if (count === 1) return [from];
  return Array.from({ length: count }, (_, i) => roundSignificant(from + ((to - from) * i) / (count - 1)));
}

/**
 * `count` values from `from` to `to` inclusive, evenly spaced on a log scale (both must be > 0).
 * @example logValues(1e-4, 1e-2, 3) // [0.0001, 0.001, 0.01]
 */
export function logValues(from: number, to: number, count: number): number[] {
  if (!(from > 0 && to > 0)) throw new RangeError('a log range needs values above 0');
  if (count === 1) return [from];
  const [a, b] = [Math.log(from), Math.log(to)];
  return Array.from({ length: count }, (_, i) => roundSignificant(Math.exp(a + ((b - a) * i) / (count - 1))));
}

/** Computed range values to 3 significant digits, as a person would write them (0.00316, not 0.0031622776601683794). */
function roundSignificant(x: number): number {
  return Number(x.toPrecision(3));
}

/**
 * Checks the axes against the pipeline and expands them into points (a grid, first axis
 * outermost), compiling each one.
 * @example expandSweep(seed, [{ nodeId: 'optimizer', field: 'lr', values: [1e-3, 3e-3] }])
 */
export function expandSweep(pipeline: unknown, axes: readonly SweepAxis[], registry: Registry = builtInRegistry): SweepExpansion {
  const migrated = migratePipeline(pipeline);
  if (!migrated.ok) return { ok: false, errors: [{ nodeId: '', field: 'pipeline', message: migrated.message }] };
  const doc = migrated.doc;
  const errors = checkAxes(doc, axes, registry);
  if (errors.length) return { ok: false, errors };

  const points = grid(axes).map((values) => ({ values: pointValues(axes, values), pipeline: withValues(doc, axes, values, registry) }));
  for (const point of points) {
    const compiled = compile(point.pipeline, registry);
    if (compiled.ok) continue;
    const problems = compiled.diagnostics.filter((d) => d.severity === 'error');
    return { ok: false, errors: problems.map((d) => blame(d, axes, point.values)) };
  }
  return { ok: true, points };
}

/** Axis-level problems, found without compiling: counts, duplicates, unknown nodes and fields. */
function checkAxes(doc: Record<string, unknown>, axes: readonly SweepAxis[], registry: Registry): SweepError[] {
  if (!axes.length) return [{ nodeId: '', field: 'axes', message: 'a sweep needs at least one axis' }];
  if (axes.length > MAX_SWEEP_AXES) return [{ nodeId: '', field: 'axes', message: `a sweep has at most ${MAX_SWEEP_AXES} axes (a grid)` }];
  const errors: SweepError[] = [];
  const seen = new Set<string>();
  const nodes = Array.isArray(doc.nodes) ? (doc.nodes as { id?: unknown; type?: unknown }[]) : [];
  const edges = Array.isArray(doc.edges) ? (doc.edges as { source?: unknown; target?: unknown; targetHandle?: unknown }[]) : [];
  for (const axis of axes) {
    const at = (message: string) => errors.push({ nodeId: axis.nodeId, field: axis.field, message });
    if (seen.has(axisKey(axis))) at(`${axisKey(axis)} is swept twice: give each field one axis`);
    seen.add(axisKey(axis));
    if (!axis.values.length) at('the axis has no values (a sweep of 0 points)');
    if (new Set(axis.values.map((v) => JSON.stringify(v))).size < axis.values.length) at('the axis lists a value twice');
    if (axis.nodeId === TRAINING_NODE) {
      if (!TRAINING_FIELDS.includes(axis.field)) at(`training has no field "${axis.field}" (it has ${TRAINING_FIELDS.join(', ')})`);
      continue;
    }
    const node = nodes.find((n) => n.id === axis.nodeId);
    if (!node) {
      at(`the pipeline has no node "${axis.nodeId}"`);
      continue;
    }
    const def = registry.get(String(node.type));
    const shape = def ? (def.params as unknown as { shape?: Record<string, unknown> }).shape : undefined;
    const params = (node as { params?: Record<string, unknown> }).params ?? {};
    const known = def?.composite ? def.composite.has(params, axis.field) : !shape || axis.field in shape;
    if (!known) at(`${def!.kind} has no param "${axis.field}"`);
    const feeder = edges.find((e) => e.target === axis.nodeId && e.targetHandle === axis.field);
    if (feeder) at(`${axisKey(axis)} is not used: its input port "${axis.field}" is fed by ${feeder.source}; sweep that node's field instead`);
  }
  const count = axes.reduce((n, a) => n * a.values.length, 1);
  if (!errors.length && count > MAX_SWEEP_POINTS) {
    const last = axes.at(-1)!;
    errors.push({ nodeId: last.nodeId, field: last.field, message: `the sweep has ${count} points; at most ${MAX_SWEEP_POINTS} are allowed` });
  }
  return errors;
}

/** Every combination of the axes' values, the first axis outermost. */
function grid(axes: readonly SweepAxis[]): SweepValue[][] {
  return axes.reduce<SweepValue[][]>((rows, axis) => rows.flatMap((row) => axis.values.map((v) => [...row, v])), [[]]);
}

function pointValues(axes: readonly SweepAxis[], values: SweepValue[]): Record<string, SweepValue> {
  return Object.fromEntries(axes.map((axis, i) => [axisKey(axis), values[i]]));
}

/** A copy of the document with each axis's field set to its value. */
function withValues(doc: Record<string, unknown>, axes: readonly SweepAxis[], values: SweepValue[], registry: Registry): Record<string, unknown> {
  const copy = structuredClone(doc) as { training?: Record<string, unknown>; nodes: { id: string; type: string; params?: Record<string, unknown> }[] };
  axes.forEach((axis, i) => {
    if (axis.nodeId === TRAINING_NODE) {
      copy.training = { ...(copy.training ?? {}), [axis.field]: values[i] };
      return;
    }
    const node = copy.nodes.find((n) => n.id === axis.nodeId)!;
    const composite = registry.get(node.type)?.composite;
    node.params = composite ? composite.set(node.params ?? {}, axis.field, values[i]) : { ...(node.params ?? {}), [axis.field]: values[i] };
  });
  return copy as Record<string, unknown>;
}

/** A point's compile error, addressed to the axis it concerns (else to the first axis, naming the point). */
function blame(d: Diagnostic, axes: readonly SweepAxis[], values: Record<string, SweepValue>): SweepError {
  const point = Object.entries(values)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(', ');
  const fieldOf = (field: string | undefined) => (d.nodeId === undefined && field?.startsWith('training.') ? field.slice('training.'.length) : field);
  const own = axes.find((a) => (a.nodeId === d.nodeId || (a.nodeId === TRAINING_NODE && d.nodeId === undefined)) && a.field === fieldOf(d.field));
  const axis = own ?? axes.find((a) => a.nodeId === d.nodeId) ?? axes[0];
  const where = own ? '' : `${d.nodeId ?? 'pipeline'}${d.field ? `.${d.field}` : ''}: `;
  return { nodeId: axis.nodeId, field: axis.field, message: `at ${point}: ${where}${d.message}` };
}
