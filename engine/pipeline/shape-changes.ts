// Which model fields change the parameter shapes between two pipelines: what a fork may not edit,
// since it starts from the parent's weights. The server refuses such a fork (server/runs/fork.ts)
// and the studio marks the fields before Run (lib/fork-draft.ts), both with this function.
import type { GptConfig } from '../model/config';
import { gptParamSpecs } from '../model/param-specs';
import { FLAT_NAME, modelConfigChanges } from '../model-graph/fields';
import { modelConfigOf } from '../nodes/model';

/** One model field (in the flat names: d_model, n_layers, ...) whose new value gives the weights other names or shapes. */
export interface ShapeChange {
  nodeId: string;
  field: string;
  old: unknown;
  new: unknown;
}

interface NodeLike {
  id: string;
  type: string;
  params?: Record<string, unknown>;
}

/** The weights' names and shapes as one comparable string. */
function shapesOf(config: GptConfig): string {
  return gptParamSpecs(config)
    .map((s) => `${s.name}:${s.shape.join('x')}`)
    .join(' ');
}

const KEY_OF = Object.fromEntries(Object.entries(FLAT_NAME).map(([key, flat]) => [flat, key])) as Record<string, keyof GptConfig>;

/**
 * The fields of each model in `after` that change its weights' shapes against the same model (by
 * id, else the only one) in `before`, whichever format either side was saved in (flat params or the
 * subgraph). A field is named when changing it alone changes the shapes; when only the changes
 * together do (rare), every changed field is named.
 * @example modelShapeChanges(parent, { nodes: [{ id: 'model', type: 'model', params: { d_model: 64 } }] })
 *   // [{ nodeId: 'model', field: 'd_model', old: 32, new: 64 }]
 */
export function modelShapeChanges(before: { nodes: readonly NodeLike[] }, after: { nodes: readonly NodeLike[] }): ShapeChange[] {
  const changes: ShapeChange[] = [];
  const models = before.nodes.filter((n) => n.type === 'model');
  for (const node of after.nodes.filter((n) => n.type === 'model')) {
    const was = models.find((n) => n.id === node.id) ?? (models.length === 1 ? models[0] : undefined);
    if (!was) continue;
    const [old, now] = [modelConfigOf({ params: was.params ?? {} }).config, modelConfigOf({ params: node.params ?? {} }).config];
    if (!old || !now || shapesOf(old) === shapesOf(now)) continue;
    const changed = modelConfigChanges(old, now);
    const alone = changed.filter(({ field }) => KEY_OF[field] && shapesOf({ ...old, [KEY_OF[field]]: now[KEY_OF[field]] }) !== shapesOf(old));
    for (const { field, old: a, new: b } of alone.length ? alone : changed) changes.push({ nodeId: node.id, field, old: a, new: b });
  }
  return changes;
}

/**
 * What a fork is told of a shape change, on the server and in the studio alike.
 * @example shapeChangeMessage({ nodeId: 'model', field: 'd_model', old: 32, new: 64 }, 'ckpt-000020')
 *   // "changes the model's parameter shapes (32 in ckpt-000020, 64 here): …"
 */
export function shapeChangeMessage(change: ShapeChange, checkpoint: string): string {
  return `changes the model's parameter shapes (${JSON.stringify(change.old)} in ${checkpoint}, ${JSON.stringify(change.new)} here): the weights carry over, so the shapes must stay — start a new run instead`;
}
