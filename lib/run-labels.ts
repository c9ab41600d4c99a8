// Words and numbers that tell runs apart: where a resumed run continued, a run's hyperparameters
// read from the pipeline it trained, and a short label of what differs from its template.
import { gptParamSpecs } from '../engine/model/param-specs';
import { registry } from '../engine/nodes';
import { modelConfigOf } from '../engine/nodes/model';
import { Training } from '../engine/pipeline/schema';
import type { Pipeline } from './document';
import type { RunStatus } from './run-stream';
import { TEMPLATES } from './templates';

/**
 * What a resumed run redoes, or null when it was never resumed.
 * @example resumeNote({ resumed: { at, checkpoint: 'ckpt-000250', step: 250, reached: 265 } })
 *   // 'continuing from ckpt-000250 (steps 251–265 will be retrained)'
 */
export function resumeNote(status: Pick<RunStatus, 'resumed'> | undefined): string | null {
  const r = status?.resumed;
  if (!r) return null;
  const from = r.checkpoint ? `continuing from ${r.checkpoint}` : 'started again from step 0 (no checkpoint)';
  if (r.reached <= r.step) return from;
  const redo = r.reached === r.step + 1 ? `step ${r.reached} will be retrained` : `steps ${r.step + 1}–${r.reached} will be retrained`;
  return `${from} (${redo})`;
}

/** The hyperparameters the runs page shows for a run. */
export interface RunHyper {
  lr?: number;
  batch?: number;
  /** Parameters of the (first) model, from its config. */
  params?: number;
  steps: number;
}

const firstOf = (doc: Pipeline, kind: string) => doc.nodes.find((n) => n.type === kind);

/** A param with the kind's default filled in. */
function paramOf(doc: Pipeline, kind: string, key: string): unknown {
  const node = firstOf(doc, kind);
  if (!node) return undefined;
  const parsed = registry.get(kind)?.params.safeParse(node.params);
  return parsed?.success ? (parsed.data as Record<string, unknown>)[key] : node.params[key];
}

/** Parameters of the model node's GPT, counted from the engine's own parameter list. */
function modelParams(params: Record<string, unknown>): number | undefined {
  const { config } = modelConfigOf({ params });
  if (!config) return undefined;
  return gptParamSpecs(config).reduce((sum, spec) => sum + spec.shape.reduce((a, b) => a * b, 1), 0);
}

/**
 * lr, batch, parameters and steps of the pipeline a run trained.
 * @example runHyper(doc, 1000) // { lr: 0.003, batch: 16, params: 558208, steps: 1000 }
 */
export function runHyper(doc: Pipeline, steps: number): RunHyper {
  const lr = paramOf(doc, 'scheduler', 'lr') ?? paramOf(doc, 'optimizer', 'lr');
  const batch = paramOf(doc, 'get_batch', 'batch_size');
  const model = firstOf(doc, 'model');
  const params = model ? modelParams(model.params) : undefined;
  return {
    ...(typeof lr === 'number' ? { lr } : {}),
    ...(typeof batch === 'number' ? { batch } : {}),
    ...(params !== undefined ? { params } : {}),
    steps,
  };
}

/** Params with the kind's defaults filled in (a stored pipeline spells every default out). */
function settled(kind: string, params: Record<string, unknown>): Record<string, unknown> {
  const composite = registry.get(kind)?.composite; // a model block: `wte.d_model=256`
  if (composite) return composite.values(params);
  const parsed = registry.get(kind)?.params.safeParse(params);
  return parsed?.success ? (parsed.data as Record<string, unknown>) : params;
}

/** The keys whose values differ between two objects (compared as JSON). */
function changedKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
}

const shown = (value: unknown) => (typeof value === 'object' ? JSON.stringify(value) : String(value));

/**
 * What sets a run's pipeline apart from the template of the same name (`model.d_model=256`,
 * `steps=200`), at most `limit` of them; empty when it is the template as shipped (defaults
 * written out or not) or has none.
 * @example differences(seedWithWiderModel) // ['model.d_model=256']
 */
export function differences(doc: Pipeline, limit = 3): string[] {
  const template = TEMPLATES.find((t) => t.doc.meta.name === doc.meta.name)?.doc;
  if (!template) return [];
  const training = (d: Pipeline) => {
    const parsed = Training.safeParse(d.training);
    return (parsed.success ? parsed.data : d.training) as Record<string, unknown>;
  };
  const ours = training(doc);
  const found = changedKeys(ours, training(template)).map((k) => `${k}=${shown(ours[k])}`);
  for (const node of doc.nodes) {
    const original = template.nodes.find((n) => n.id === node.id);
    if (!original || original.type !== node.type) {
      found.push(`+${node.id}`);
      continue;
    }
    const now = settled(node.type, node.params);
    for (const key of changedKeys(now, settled(original.type, original.params))) found.push(`${node.id}.${key}=${shown(now[key])}`);
  }
  for (const original of template.nodes) if (!doc.nodes.some((n) => n.id === original.id)) found.push(`−${original.id}`);
  return found.length > limit ? [...found.slice(0, limit), `+${found.length - limit} more`] : found;
}
