// Forks: a run started from another run's checkpoint with a pipeline of its own. The weights always
// carry over; the optimizer's state only when every optimizer keeps its kind (else the fork starts
// it fresh, and says so in its status); a change of parameter shapes is refused per model field.
// The parent's pipeline at the checkpoint is kept beside the fork, for its diff.
import { decodeSafetensors, encodeSafetensors } from '../../engine/checkpoint/safetensors';
import { modelConfigChanges } from '../../engine/model-graph/fields';
import { modelConfigOf } from '../../engine/nodes/model';
import { diffPipelines, type EdgeEnds, type FieldChange } from '../../engine/pipeline/diff';
import type { Pipeline } from '../../engine/pipeline/schema';
import type { Plan } from '../../engine/plan';
import { RunActionError, type SubmitError } from './refusals';
import type { RunStatus, RunFolders } from './run-folders';
import type { CheckedCheckpoint } from './uploads';

export const PARENT_PIPELINE_FILE = 'parent-pipeline.json';

/** The checkpoint's pipeline (what the parent trained at that step), if it carries a readable one. */
function pipelineOf(checkpoint: CheckedCheckpoint): Pipeline | undefined {
  const pipeline = checkpoint.meta.pipeline as Pipeline | undefined;
  return pipeline && Array.isArray(pipeline.nodes) && Array.isArray(pipeline.edges) ? pipeline : undefined;
}

/**
 * The model fields a fork changed, when its weights no longer fit the checkpoint: one error per
 * node and field (d_model, n_layers, vocab_size, ...). Empty when the checkpoint has no pipeline
 * to compare with or the model params are the same.
 */
export function shapeChanges(plan: Plan, checkpoint: CheckedCheckpoint, misfits: readonly { nodeId: string; message: string }[] = []): SubmitError[] {
  const before = pipelineOf(checkpoint);
  if (!before) return [];
  const errors: SubmitError[] = [];
  for (const node of plan.nodes.filter((n) => n.kind === 'model')) {
    const was = before.nodes.find((n) => n.id === node.id && n.type === 'model') ?? before.nodes.find((n) => n.type === 'model');
    if (!was) continue;
    // Compared in the model's flat names (d_model, n_layers, ...), whichever format either side was saved in.
    const [then, now] = [modelConfigOf({ params: was.params ?? {} }).config, modelConfigOf(node).config];
    if (!then || !now) continue;
    for (const { field, old, new: value } of modelConfigChanges(then, now)) {
      const detail = misfits.find((m) => m.nodeId === node.id)?.message;
      errors.push({
        nodeId: node.id, field, code: 'resume',
        message: `changes the model's parameter shapes (${JSON.stringify(old)} in ${checkpoint.name}, ${JSON.stringify(value)} here): the weights carry over, so the shapes must stay — start a new run instead${detail ? ` (${detail})` : ''}`,
      });
    }
  }
  return errors;
}

/**
 * The checkpoint a fork starts from: as it is when each optimizer node keeps its kind, else
 * without the optimizer's state (`optim.*` tensors), so the optimizer starts fresh.
 */
export function forkCheckpoint(plan: Plan, checkpoint: CheckedCheckpoint): { checkpoint: CheckedCheckpoint; optimizerState: 'kept' | 'fresh' } {
  const before = pipelineOf(checkpoint);
  const kinds = (nodes: { id: string; kind?: unknown }[]) => JSON.stringify(nodes.map((n) => [n.id, n.kind]).sort());
  const now = kinds(plan.nodes.filter((n) => n.kind === 'optimizer').map((n) => ({ id: n.id, kind: n.params.kind })));
  const then = before ? kinds(before.nodes.filter((n) => n.type === 'optimizer').map((n) => ({ id: n.id, kind: n.params?.kind ?? 'adamw' }))) : now;
  if (now === then) return { checkpoint, optimizerState: 'kept' };
  const { tensors, metadata } = decodeSafetensors(checkpoint.weights, checkpoint.name);
  const kept = new Map([...tensors].filter(([name]) => !name.startsWith('optim.')));
  return { checkpoint: { ...checkpoint, weights: encodeSafetensors(kept, metadata), tensors: kept }, optimizerState: 'fresh' };
}

/** A fork's differences from the pipeline its parent trained at the checkpoint (GET /api/runs/:id/diff). */
export async function forkDiff(store: Pick<RunFolders, 'readJson'>, status: RunStatus): Promise<ForkDiff> {
  if (!status.parent) throw new RunActionError(404, `run ${status.id} is not a fork (it did not start from another run's checkpoint)`);
  const [before, after] = await Promise.all([store.readJson(status.id, PARENT_PIPELINE_FILE), store.readJson(status.id, 'pipeline.json')]);
  const diff = diffPipelines(before, after);
  const edge = (e: EdgeEnds) => `${e.source}.${e.sourceHandle} -> ${e.target}.${e.targetHandle}`;
  return {
    parent: status.parent, params: diff.changed,
    nodes: { added: diff.addedNodes.map((n) => n.id), removed: diff.removedNodes.map((n) => n.id) },
    edges: { added: diff.addedEdges.map(edge), removed: diff.removedEdges.map(edge) },
  };
}

/** GET /api/runs/:id/diff: params per node and field (defaults filled in), blocks and wires (`source.port -> target.port`) added or removed. */
export interface ForkDiff {
  parent: NonNullable<RunStatus['parent']>;
  params: FieldChange[];
  nodes: { added: string[]; removed: string[] };
  edges: { added: string[]; removed: string[] };
}
