// What changed between two pipelines (a fork and the pipeline of the checkpoint it started from):
// params per node and field (`training` for training.steps and seed), nodes and edges added or
// removed. Positions, notes and groups are left aside: they do not change what trains.
import type { Pipeline } from './schema';

export interface ParamChange {
  nodeId: string;
  field: string;
  old: unknown;
  new: unknown;
}

export interface PipelineDiff {
  params: ParamChange[];
  nodes: { added: string[]; removed: string[] };
  /** Edges as `source.port -> target.port`. */
  edges: { added: string[]; removed: string[] };
}

type Comparable = Pick<Pipeline, 'nodes' | 'edges' | 'training'>;

/**
 * @example pipelineDiff(parent, fork).params // [{ nodeId: 'scheduler', field: 'lr', old: 0.003, new: 0.001 }]
 */
export function pipelineDiff(before: Comparable, after: Comparable): PipelineDiff {
  const params: ParamChange[] = [];
  for (const field of ['steps', 'seed'] as const) {
    if (before.training?.[field] !== after.training?.[field]) params.push({ nodeId: 'training', field, old: before.training?.[field], new: after.training?.[field] });
  }
  const old = new Map(before.nodes.map((n) => [n.id, n]));
  const next = new Map(after.nodes.map((n) => [n.id, n]));
  for (const [id, node] of next) {
    const was = old.get(id);
    if (!was) continue;
    if (was.type !== node.type) params.push({ nodeId: id, field: 'type', old: was.type, new: node.type });
    for (const field of new Set([...Object.keys(was.params ?? {}), ...Object.keys(node.params ?? {})])) {
      const [a, b] = [was.params?.[field], node.params?.[field]];
      if (JSON.stringify(a) !== JSON.stringify(b)) params.push({ nodeId: id, field, old: a, new: b });
    }
  }
  const edgeKey = (e: Pipeline['edges'][number]) => `${e.source}.${e.sourceHandle} -> ${e.target}.${e.targetHandle}`;
  const oldEdges = new Set(before.edges.map(edgeKey));
  const newEdges = new Set(after.edges.map(edgeKey));
  return {
    params,
    nodes: { added: [...next.keys()].filter((id) => !old.has(id)), removed: [...old.keys()].filter((id) => !next.has(id)) },
    edges: { added: [...newEdges].filter((e) => !oldEdges.has(e)), removed: [...oldEdges].filter((e) => !newEdges.has(e)) },
  };
}

/** A short label for a list of changes, e.g. "scheduler.lr 0.003 → 0.001". */
export function describeChanges(changes: readonly ParamChange[], limit = 3): string {
  const shown = changes.slice(0, limit).map((c) => `${c.nodeId}.${c.field} ${String(c.old)} → ${String(c.new)}`);
  return shown.join(', ') + (changes.length > limit ? ` (+${changes.length - limit} more)` : '');
}
