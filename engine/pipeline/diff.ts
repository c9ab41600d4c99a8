// What differs between two pipeline documents, as a person reads it: blocks added and removed,
// each kept block's changed params (old -> new, defaults filled in, so an omitted default equals
// the same value written out), wires added and removed, and training settings. Node ids identify
// blocks; wires are identified by what they connect, not by their ids.
import { registry as builtInRegistry } from '../nodes';
import type { Registry } from '../nodes/registry';
import { migratePipeline } from './migrate';
import { Pipeline, type PipelineEdge, type PipelineNode } from './schema';

export interface FieldChange {
  /** A node id, or "training" for training.steps / training.seed. */
  nodeId: string;
  field: string;
  old: unknown;
  new: unknown;
}

export interface PipelineDiff {
  /** Changed params of blocks present in both, and changed training settings. */
  changed: FieldChange[];
  addedNodes: { id: string; type: string }[];
  removedNodes: { id: string; type: string }[];
  addedEdges: EdgeEnds[];
  removedEdges: EdgeEnds[];
  /** Nothing differs in what trains (names, notes, positions and groups are not compared). */
  identical: boolean;
}

export interface EdgeEnds {
  source: string;
  sourceHandle: string;
  target: string;
  targetHandle: string;
}

/**
 * The differences from `before` to `after` (documents of any supported version).
 * @example diffPipelines(parent, fork).changed // [{ nodeId: 'optimizer', field: 'lr', old: 0.003, new: 0.001 }]
 */
export function diffPipelines(before: unknown, after: unknown, registry: Registry = builtInRegistry): PipelineDiff {
  const [a, b] = [readDocument(before), readDocument(after)];
  const changed: FieldChange[] = [];
  for (const field of ['steps', 'seed'] as const) {
    if (a.training[field] !== b.training[field]) changed.push({ nodeId: 'training', field, old: a.training[field], new: b.training[field] });
  }
  const aNodes = new Map(a.nodes.map((n) => [n.id, n]));
  const bNodes = new Map(b.nodes.map((n) => [n.id, n]));
  for (const [id, nodeB] of bNodes) {
    const nodeA = aNodes.get(id);
    if (!nodeA) continue;
    if (nodeA.type !== nodeB.type) {
      changed.push({ nodeId: id, field: 'type', old: nodeA.type, new: nodeB.type });
      continue;
    }
    const [pa, pb] = [filledParams(nodeA, registry), filledParams(nodeB, registry)];
    for (const field of [...new Set([...Object.keys(pa), ...Object.keys(pb)])].sort()) {
      if (!sameValue(pa[field], pb[field])) changed.push({ nodeId: id, field, old: pa[field], new: pb[field] });
    }
  }
  const brief = (n: PipelineNode) => ({ id: n.id, type: n.type });
  const addedNodes = b.nodes.filter((n) => !aNodes.has(n.id)).map(brief);
  const removedNodes = a.nodes.filter((n) => !bNodes.has(n.id)).map(brief);
  const [aEdges, bEdges] = [edgeKeys(a.edges), edgeKeys(b.edges)];
  const addedEdges = [...bEdges].filter(([k]) => !aEdges.has(k)).map(([, e]) => e);
  const removedEdges = [...aEdges].filter(([k]) => !bEdges.has(k)).map(([, e]) => e);
  const identical = !changed.length && !addedNodes.length && !removedNodes.length && !addedEdges.length && !removedEdges.length;
  return { changed, addedNodes, removedNodes, addedEdges, removedEdges, identical };
}

/** A document read leniently: migrated and parsed where possible, else its nodes and edges as written. */
function readDocument(raw: unknown): { training: { steps?: unknown; seed?: unknown }; nodes: PipelineNode[]; edges: PipelineEdge[] } {
  const migrated = migratePipeline(raw);
  const parsed = migrated.ok ? Pipeline.safeParse(migrated.doc) : undefined;
  if (parsed?.success) return parsed.data;
  const doc = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const list = <T>(x: unknown) => (Array.isArray(x) ? (x.filter((i) => typeof i === 'object' && i !== null) as T[]) : []);
  return { training: (doc.training ?? {}) as { steps?: unknown; seed?: unknown }, nodes: list<PipelineNode>(doc.nodes), edges: list<PipelineEdge>(doc.edges) };
}

/** The node's params with the kind's defaults filled in (as written when they do not parse). */
function filledParams(node: PipelineNode, registry: Registry): Record<string, unknown> {
  const def = registry.get(node.type);
  const saved = node.params ?? {};
  if (!def || (node.version !== undefined && node.version !== def.version && !(node.version < def.version && def.migrate))) return saved;
  // Params of an older version of the kind compare as they read now (model: inspect_every filled in).
  const params = node.version !== undefined && node.version < def.version ? def.migrate!(saved, node.version) : saved;
  if (def.composite) return def.composite.values(params);
  const parsed = def.params.safeParse(params);
  if (parsed.success) return parsed.data as Record<string, unknown>;
  // Invalid params still compare field by field against defaults, so only the bad field differs.
  const defaults = def.params.safeParse({});
  return { ...(defaults.success ? (defaults.data as Record<string, unknown>) : {}), ...params };
}

function sameValue(x: unknown, y: unknown): boolean {
  return JSON.stringify(x) === JSON.stringify(y);
}

function edgeKeys(edges: PipelineEdge[]): Map<string, EdgeEnds> {
  return new Map(
    edges.map((e) => {
      const ends = { source: e.source, sourceHandle: e.sourceHandle, target: e.target, targetHandle: e.targetHandle };
      return [`${e.source}.${e.sourceHandle}->${e.target}.${e.targetHandle}`, ends];
    }),
  );
}

/**
 * A short label for a list of changes, e.g. "scheduler.lr 0.003 → 0.001".
 * @example describeChanges([{ nodeId: 'scheduler', field: 'lr', old: 0.003, new: 0.001 }]) // 'scheduler.lr 0.003 → 0.001'
 */
export function describeChanges(changes: readonly FieldChange[], limit = 3): string {
  const shown = changes.slice(0, limit).map((c) => `${c.nodeId}.${c.field} ${shortValue(c.old)} → ${shortValue(c.new)}`);
  return shown.join(', ') + (changes.length > limit ? ` (+${changes.length - limit} more)` : '');
}

/** A value as a label shows it: numbers short, strings quoted only when empty. */
export function shortValue(v: unknown): string {
  if (v === undefined) return '–';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
  if (typeof v === 'string') return v === '' ? '""' : v;
  return JSON.stringify(v);
}
