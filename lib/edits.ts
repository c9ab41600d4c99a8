// Pure edits of a pipeline document: each takes a document and returns a new one (or the same
// object when nothing changed, so the store can tell a no-op from an edit).
// Canvas items share one id space on the canvas: a block's id as is, notes and groups prefixed
// with `note/` and `group/` ('/' never appears in document ids, so the prefixes cannot collide).
import { registry } from '../engine/nodes';
import { canConnect } from '../engine/ports';
import { defaultParams, edgeId, takenIds, uniqueId, type Pipeline, type PipelineEdge, type PipelineGroup, type PipelineNote, type XY } from './document';

export type FlowKind = 'block' | 'note' | 'group';

/** The canvas id of a note. */
export const noteFlowId = (id: string) => `note/${id}`;
/** The canvas id of a group frame. */
export const groupFlowId = (id: string) => `group/${id}`;

/**
 * What a canvas id refers to.
 * @example parseFlowId('note/n1') // { kind: 'note', id: 'n1' }
 */
export function parseFlowId(flowId: string): { kind: FlowKind; id: string } {
  if (flowId.startsWith('note/')) return { kind: 'note', id: flowId.slice(5) };
  if (flowId.startsWith('group/')) return { kind: 'group', id: flowId.slice(6) };
  return { kind: 'block', id: flowId };
}

/** Canvas ids and edge ids, as React Flow selects them. */
export interface Selection {
  nodes: string[];
  edges: string[];
}
export const EMPTY_SELECTION: Selection = { nodes: [], edges: [] };

export type ConnectionRequest = Omit<PipelineEdge, 'id'>;

/**
 * Why `conn` may not be added, or null when it may. The port rule itself is the engine's canConnect.
 * @example connectionProblem(seed, { source: 'model', sourceHandle: 'logits', target: 'get_batch', targetHandle: 'tokens' })
 *   // 'expected TokenSource, got Logits'
 */
export function connectionProblem(doc: Pipeline, conn: ConnectionRequest): string | null {
  const source = doc.nodes.find((n) => n.id === conn.source);
  const target = doc.nodes.find((n) => n.id === conn.target);
  if (!source || !target) return 'connect two blocks';
  if (source.id === target.id) return 'a block cannot feed itself';
  const out = registry.get(source.type)?.outputs[conn.sourceHandle];
  const inp = registry.get(target.type)?.inputs[conn.targetHandle];
  if (!out) return `${source.id} has no output '${conn.sourceHandle}'`;
  if (!inp) return `${target.id} has no input '${conn.targetHandle}'`;
  const rule = canConnect(out.type, inp.type);
  if (!rule.ok) return rule.reason;
  const taken = doc.edges.find((e) => e.target === conn.target && e.targetHandle === conn.targetHandle);
  if (taken) return `${conn.target}.${conn.targetHandle} is already fed by ${taken.source}.${taken.sourceHandle}; an input takes one edge`;
  return null;
}

/** Adds the edge if connectionProblem allows it. */
export function connect(doc: Pipeline, conn: ConnectionRequest): { doc: Pipeline; edgeId: string } | { problem: string } {
  const problem = connectionProblem(doc, conn);
  if (problem) return { problem };
  const id = edgeId(conn, takenIds(doc));
  return { doc: { ...doc, edges: [...doc.edges, { id, ...conn }] }, edgeId: id };
}

/**
 * A new block of `kind` at `position`, with every param at its default.
 * @example addNode(doc, 'clip', { x: 0, y: 0 }).id // 'clip' (or 'clip#2' when taken)
 */
export function addNode(doc: Pipeline, kind: string, position: XY): { doc: Pipeline; id: string } {
  const id = uniqueId(kind, takenIds(doc));
  const version = registry.get(kind)?.version;
  const node = { id, type: kind, ...(version !== undefined ? { version } : {}), params: defaultParams(kind), position: roundXY(position) };
  return { doc: { ...doc, nodes: [...doc.nodes, node] }, id };
}

/** Sets one param; `undefined` removes the key so the schema default applies. */
export function setParam(doc: Pipeline, nodeId: string, key: string, value: unknown): Pipeline {
  const node = doc.nodes.find((n) => n.id === nodeId);
  if (!node) return doc;
  // A model block's inner params (`attn.n_kv_heads`) and the flat names standing for them (`vocab_size`).
  const composite = registry.get(node.type)?.composite;
  if (composite && !(key in (registry.get(node.type)!.params.shape as object)) && composite.has(node.params, key)) {
    return replaceParams(doc, nodeId, composite.set(node.params, key, value));
  }
  if (value === undefined ? !(key in node.params) : Object.is(node.params[key], value)) return doc;
  const params = { ...node.params };
  if (value === undefined) delete params[key];
  else params[key] = value;
  return { ...doc, nodes: doc.nodes.map((n) => (n === node ? { ...n, params } : n)) };
}

/** Replaces a node's params as a whole (the model block's subgraph edits). */
export function replaceParams(doc: Pipeline, nodeId: string, params: Record<string, unknown>): Pipeline {
  return { ...doc, nodes: doc.nodes.map((n) => (n.id === nodeId ? { ...n, params } : n)) };
}

/**
 * Renames a block and everything that points at it (edges, groups).
 * Edge ids are left alone: they are names, and renaming them would break nothing but diffs.
 */
export function renameNode(doc: Pipeline, from: string, to: string): { doc: Pipeline } | { problem: string } {
  if (from === to) return { doc };
  if (!/^[A-Za-z0-9_.#:>-]{1,64}$/.test(to)) return { problem: 'ids use letters, digits and _ . # : > - (at most 64)' };
  if (takenIds(doc).has(to)) return { problem: `'${to}' is already used` };
  const swap = (id: string) => (id === from ? to : id);
  return {
    doc: {
      ...doc,
      nodes: doc.nodes.map((n) => (n.id === from ? { ...n, id: to } : n)),
      edges: doc.edges.map((e) => (e.source === from || e.target === from ? { ...e, source: swap(e.source), target: swap(e.target) } : e)),
      groups: doc.groups.map((g) => (g.nodeIds.includes(from) ? { ...g, nodeIds: g.nodeIds.map(swap) } : g)),
    },
  };
}

const roundXY = (p: XY): XY => ({ x: Math.round(p.x), y: Math.round(p.y) });

/** Moves blocks and notes (by canvas id) to new positions, rounded to whole pixels. */
export function moveItems(doc: Pipeline, positions: ReadonlyMap<string, XY>): Pipeline {
  let changed = false;
  const move = <T extends { id: string; position: XY }>(item: T, flowId: string): T => {
    const to = positions.get(flowId);
    if (!to) return item;
    const p = roundXY(to);
    if (p.x === item.position.x && p.y === item.position.y) return item;
    changed = true;
    return { ...item, position: p };
  };
  const nodes = doc.nodes.map((n) => move(n, n.id));
  const notes = doc.notes.map((n) => move(n, noteFlowId(n.id)));
  return changed ? { ...doc, nodes, notes } : doc;
}

/** Moves every member of a group by `delta` (dragging a frame drags its blocks). */
export function moveGroup(doc: Pipeline, groupId: string, delta: XY): Pipeline {
  const group = doc.groups.find((g) => g.id === groupId);
  if (!group || (delta.x === 0 && delta.y === 0)) return doc;
  const positions = new Map<string, XY>();
  for (const n of doc.nodes) if (group.nodeIds.includes(n.id)) positions.set(n.id, { x: n.position.x + delta.x, y: n.position.y + delta.y });
  return moveItems(doc, positions);
}

/**
 * Removes blocks, notes, groups and edges by canvas/edge id. A block takes its edges along and
 * leaves its groups; a group left without members goes too (it has nothing to frame).
 */
export function removeItems(doc: Pipeline, selection: Selection): Pipeline {
  const gone = { block: new Set<string>(), note: new Set<string>(), group: new Set<string>() };
  for (const flowId of selection.nodes) {
    const { kind, id } = parseFlowId(flowId);
    gone[kind].add(id);
  }
  const edgesGone = new Set(selection.edges);
  const nodes = doc.nodes.filter((n) => !gone.block.has(n.id));
  const edges = doc.edges.filter((e) => !edgesGone.has(e.id) && !gone.block.has(e.source) && !gone.block.has(e.target));
  const notes = doc.notes.filter((n) => !gone.note.has(n.id));
  const groups = doc.groups
    .filter((g) => !gone.group.has(g.id))
    .map((g) => (g.nodeIds.some((id) => gone.block.has(id)) ? { ...g, nodeIds: g.nodeIds.filter((id) => !gone.block.has(id)) } : g))
    .filter((g) => g.nodeIds.length > 0);
  if (
    nodes.length === doc.nodes.length &&
    edges.length === doc.edges.length &&
    notes.length === doc.notes.length &&
    groups.length === doc.groups.length &&
    groups.every((g, i) => g === doc.groups[i])
  )
    return doc;
  return { ...doc, nodes, edges, notes, groups };
}

/** A markdown note at `position`. */
export function addNote(doc: Pipeline, position: XY, text = 'Double-click to edit this **note**.'): { doc: Pipeline; id: string } {
  const id = uniqueId('note', takenIds(doc));
  return { doc: { ...doc, notes: [...doc.notes, { id, text, position: roundXY(position), width: 240 }] }, id };
}

export function updateNote(doc: Pipeline, id: string, patch: Partial<Omit<PipelineNote, 'id'>>): Pipeline {
  const note = doc.notes.find((n) => n.id === id);
  if (!note || Object.entries(patch).every(([k, v]) => Object.is(note[k as keyof PipelineNote], v))) return doc;
  return { ...doc, notes: doc.notes.map((n) => (n === note ? { ...n, ...patch } : n)) };
}

/** A named frame around `nodeIds` (blocks only); a block moves out of any group it was in. */
export function createGroup(doc: Pipeline, nodeIds: string[], title = 'Group'): { doc: Pipeline; id: string } | { problem: string } {
  const members = nodeIds.filter((id) => doc.nodes.some((n) => n.id === id));
  if (!members.length) return { problem: 'select one or more blocks to group' };
  const id = uniqueId('group', takenIds(doc));
  const groups = doc.groups
    .map((g) => (g.nodeIds.some((m) => members.includes(m)) ? { ...g, nodeIds: g.nodeIds.filter((m) => !members.includes(m)) } : g))
    .filter((g) => g.nodeIds.length > 0);
  return { doc: { ...doc, groups: [...groups, { id, title, nodeIds: members }] }, id };
}

export function updateGroup(doc: Pipeline, id: string, patch: Partial<Omit<PipelineGroup, 'id'>>): Pipeline {
  const group = doc.groups.find((g) => g.id === id);
  if (!group || Object.entries(patch).every(([k, v]) => Object.is(group[k as keyof PipelineGroup], v))) return doc;
  return { ...doc, groups: doc.groups.map((g) => (g === group ? { ...g, ...patch } : g)) };
}

/** Ungroups: removes the frame, keeps its blocks. */
export function removeGroup(doc: Pipeline, id: string): Pipeline {
  return doc.groups.some((g) => g.id === id) ? { ...doc, groups: doc.groups.filter((g) => g.id !== id) } : doc;
}

export function setMeta(doc: Pipeline, patch: Partial<Pipeline['meta']>): Pipeline {
  return { ...doc, meta: { ...doc.meta, ...patch } };
}

export function setTraining(doc: Pipeline, patch: Partial<Pipeline['training']>): Pipeline {
  return { ...doc, training: { ...doc.training, ...patch } };
}

/** The document's sweep (undefined removes it). */
export function setSweep(doc: Pipeline, sweep: Pipeline['sweep']): Pipeline {
  const { sweep: _, ...rest } = doc;
  return sweep ? { ...rest, sweep } : rest;
}
