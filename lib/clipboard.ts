// Copy and paste of canvas items: the selected blocks with the edges between them, notes, and
// groups whose frame was selected. Pasted items get fresh ids; their edges and groups follow.
import { edgeId, takenIds, uniqueId, type Pipeline, type PipelineEdge, type PipelineGroup, type PipelineNode, type PipelineNote, type XY } from './document';
import { groupFlowId, noteFlowId, parseFlowId } from './edits';

/** What Ctrl+C keeps: plain document items, so it survives any later edit of the document. */
export interface Fragment {
  nodes: PipelineNode[];
  edges: PipelineEdge[];
  notes: PipelineNote[];
  groups: PipelineGroup[];
}

/**
 * The selected items (canvas ids) and the edges whose two ends are both selected.
 * Selecting a group frame copies its blocks too. Returns null when nothing copyable is selected.
 */
export function copyFragment(doc: Pipeline, flowIds: readonly string[]): Fragment | null {
  const blocks = new Set<string>();
  const notes = new Set<string>();
  const groups = new Set<string>();
  for (const flowId of flowIds) {
    const { kind, id } = parseFlowId(flowId);
    if (kind === 'block') blocks.add(id);
    else if (kind === 'note') notes.add(id);
    else groups.add(id);
  }
  for (const g of doc.groups) if (groups.has(g.id)) g.nodeIds.forEach((id) => blocks.add(id));
  const fragment: Fragment = {
    nodes: doc.nodes.filter((n) => blocks.has(n.id)),
    edges: doc.edges.filter((e) => blocks.has(e.source) && blocks.has(e.target)),
    notes: doc.notes.filter((n) => notes.has(n.id)),
    groups: doc.groups.filter((g) => groups.has(g.id)),
  };
  return fragment.nodes.length || fragment.notes.length ? structuredClone(fragment) : null;
}

/**
 * Adds a copy of `fragment`, shifted by `offset`, with new ids (`model` → `model#2`).
 * Returns the new document and the canvas ids of the pasted items (to select them).
 * @example pasteFragment(doc, copyFragment(doc, ['model'])!).ids // ['model#2']
 */
export function pasteFragment(doc: Pipeline, fragment: Fragment, offset: XY = { x: 40, y: 40 }): { doc: Pipeline; ids: string[] } {
  const taken = takenIds(doc);
  const fresh = (base: string) => {
    const id = uniqueId(base, taken);
    taken.add(id);
    return id;
  };
  const shift = (p: XY): XY => ({ x: Math.round(p.x + offset.x), y: Math.round(p.y + offset.y) });
  const renamed = new Map<string, string>();
  const nodes = fragment.nodes.map((n) => {
    const id = fresh(n.id);
    renamed.set(n.id, id);
    return { ...structuredClone(n), id, position: shift(n.position) };
  });
  const edges = fragment.edges.map((e) => {
    const ends = { source: renamed.get(e.source)!, sourceHandle: e.sourceHandle, target: renamed.get(e.target)!, targetHandle: e.targetHandle };
    const id = edgeId(ends, taken);
    taken.add(id);
    return { id, ...ends };
  });
  const notes = fragment.notes.map((n) => ({ ...structuredClone(n), id: fresh(n.id), position: shift(n.position) }));
  const groups = fragment.groups
    .map((g) => ({ ...structuredClone(g), id: fresh(g.id), nodeIds: g.nodeIds.filter((id) => renamed.has(id)).map((id) => renamed.get(id)!) }))
    .filter((g) => g.nodeIds.length > 0);
  return {
    doc: { ...doc, nodes: [...doc.nodes, ...nodes], edges: [...doc.edges, ...edges], notes: [...doc.notes, ...notes], groups: [...doc.groups, ...groups] },
    ids: [...nodes.map((n) => n.id), ...notes.map((n) => noteFlowId(n.id)), ...groups.map((g) => groupFlowId(g.id))],
  };
}
