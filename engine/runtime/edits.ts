// Live edits of a training run: which params may change while it trains (each node kind's `hot`
// list, plus `training.steps`), checking an edit against the node's schema and the graph's checks,
// and applying it between two steps, all fields at once. A run keeps its edits as a history
// (EditRecord[]) that a resumed run replays at the steps where they happened.
import { compile } from '../compiler/compile';
import { registry as builtInRegistry } from '../nodes';
import type { Registry } from '../nodes/registry';
import type { Pipeline } from '../pipeline/schema';
import type { Plan } from '../plan';

/** The pseudo node id that addresses `training.steps`. */
export const TRAINING_NODE = 'training';

/** Params of `training` that may change while a run trains. */
export const HOT_TRAINING_FIELDS = ['steps'];

/** What is asked: new values for some params of one node. */
export interface EditRequest {
  nodeId: string;
  params: Record<string, unknown>;
}

/** An edit that took effect: with `step` optimizer steps completed, each field went from old to new. */
export interface EditRecord {
  step: number;
  nodeId: string;
  changes: Record<string, [unknown, unknown]>;
}

export interface EditError {
  nodeId: string;
  field?: string;
  message: string;
}

/** Why an edit is refused: 400 for a value its schema or the graph refuses, 409 for a field that is fixed while the run trains. */
export type EditRefusal = { status: 400 | 409; error: string; errors: EditError[] };

/**
 * The hot-editable fields of a node kind (`training` for the run length); empty for unknown kinds.
 * @example hotFields('optimizer') // ['lr', 'weight_decay', ...]
 */
export function hotFields(kind: string, registry: Registry = builtInRegistry): string[] {
  if (kind === TRAINING_NODE) return HOT_TRAINING_FIELDS;
  return [...(registry.get(kind)?.hot ?? [])];
}

/** Why a field cannot change while the run trains, as the inspector and the API say it. */
export function lockedReason(kind: string, field: string): string {
  if (kind === 'model' || kind === 'get_batch' || kind === 'dataset')
    return `${kind} ${field} is fixed while the run trains (it shapes the model or its data) — fork the run instead`;
  return `${kind}.${field} is fixed while the run trains — fork the run instead`;
}

/**
 * Checks an edit of a run whose plan is `plan` (with earlier edits applied) and `stepsDone` steps
 * completed: returns the changes it makes, or why it is refused. Changes nothing.
 * @example checkEdit(plan, { nodeId: 'optimizer', params: { lr: 1e-3 } }, 40) // { changes: { lr: [3e-3, 1e-3] } }
 */
export function checkEdit(
  plan: Plan,
  request: EditRequest,
  stepsDone: number,
  registry: Registry = builtInRegistry,
): EditRefusal | { changes: EditRecord['changes'] } {
  const { nodeId, params } = request;
  const refuse = (status: 400 | 409, errors: EditError[]): EditRefusal => ({
    status,
    error: errors.map((e) => `${e.nodeId}${e.field ? `.${e.field}` : ''}: ${e.message}`).join('; '),
    errors,
  });
  const fields = Object.keys(params);
  if (!fields.length) return refuse(400, [{ nodeId, message: 'params is empty: name at least one field to change' }]);
  const kind = nodeId === TRAINING_NODE ? TRAINING_NODE : plan.pipeline.nodes.find((n) => n.id === nodeId)?.type;
  if (!kind) return refuse(400, [{ nodeId, message: `no node ${JSON.stringify(nodeId)} in this run's pipeline` }]);
  const known = kind === TRAINING_NODE ? ['steps', 'seed'] : Object.keys(registry.get(kind)?.params.shape ?? {});
  const composite = kind === TRAINING_NODE ? undefined : registry.get(kind)?.composite;
  const own = plan.pipeline.nodes.find((n) => n.id === nodeId)?.params ?? {};
  const unknown = fields.filter((f) => !known.includes(f) && !composite?.has(own, f));
  if (unknown.length)
    return refuse(
      400,
      unknown.map((field) => ({ nodeId, field, message: `${kind} has no param ${JSON.stringify(field)}` })),
    );
  const hot = hotFields(kind, registry);
  const locked = fields.filter((f) => !hot.includes(f));
  if (locked.length)
    return refuse(
      409,
      locked.map((field) => ({ nodeId, field, message: lockedReason(kind, field) })),
    );

  const edited = editedPipeline(plan.pipeline, request);
  const compiled = compile(edited, registry);
  const errors = compiled.diagnostics
    .filter((d) => d.severity === 'error')
    .map((d) => ({ nodeId: d.nodeId ?? nodeId, ...(d.field ? { field: d.field } : {}), message: d.message }));
  if (errors.length || !compiled.ok) return refuse(400, errors.length ? errors : [{ nodeId, message: 'the edited pipeline does not compile' }]);
  if (kind === TRAINING_NODE && compiled.plan.totalSteps <= stepsDone) {
    return refuse(400, [{ nodeId, field: 'steps', message: `must be more than the ${stepsDone} steps already done` }]);
  }
  const before = currentParams(plan, nodeId);
  const after = currentParams(compiled.plan, nodeId);
  return { changes: Object.fromEntries(fields.map((f) => [f, [before[f], after[f]]])) };
}

/**
 * Applies a checked edit to a run's plan in place (node params, run length, and the pipeline
 * document checkpoints carry). `retune` lets the node take the new values first; if it throws,
 * nothing has changed.
 */
export function applyEdit(plan: Plan, edit: Pick<EditRecord, 'nodeId' | 'changes'>, retune?: (params: Record<string, unknown>) => void): void {
  const values = Object.fromEntries(Object.entries(edit.changes).map(([field, [, next]]) => [field, next]));
  if (edit.nodeId === TRAINING_NODE) {
    if (typeof values.steps === 'number') plan.totalSteps = values.steps;
    plan.pipeline.training = { ...plan.pipeline.training, ...values } as Pipeline['training'];
    return;
  }
  const node = plan.nodes.find((n) => n.id === edit.nodeId);
  if (!node) throw new Error(`no node ${edit.nodeId} in the plan`);
  retune?.({ ...node.params, ...values });
  Object.assign(node.params, values);
  const docNode = plan.pipeline.nodes.find((n) => n.id === edit.nodeId);
  if (docNode) docNode.params = { ...docNode.params, ...values };
}

/** The pipeline with one edit's values written in. */
export function editedPipeline(pipeline: Pipeline, request: EditRequest): Pipeline {
  const copy = structuredClone(pipeline);
  if (request.nodeId === TRAINING_NODE) copy.training = { ...copy.training, ...request.params } as Pipeline['training'];
  else for (const node of copy.nodes) if (node.id === request.nodeId) node.params = { ...node.params, ...request.params };
  return copy;
}

/** A plan with the edits of a history that happened at or before `step` applied (a copy). */
export function planAsOf(plan: Plan, history: readonly EditRecord[], step: number): Plan {
  const copy = structuredClone(plan);
  for (const edit of history) if (edit.step <= step) applyEdit(copy, edit);
  return copy;
}

function currentParams(plan: Plan, nodeId: string): Record<string, unknown> {
  if (nodeId === TRAINING_NODE) return { steps: plan.totalSteps, seed: plan.seed };
  return plan.nodes.find((n) => n.id === nodeId)?.params ?? {};
}
