// The document as React Flow draws it: blocks, notes and group frames as flow nodes, edges
// coloured by the port type they carry. Derived data only; the document stays the source of truth.
import type { Edge, Node } from '@xyflow/react';
import { registry } from '../engine/nodes';
import { PORT_TYPES } from '../engine/ports';
import type { Pipeline, PipelineGroup, PipelineNode, PipelineNote } from './document';
import { groupFlowId, noteFlowId, type Selection } from './edits';

export type Size = { width: number; height: number };
export type BlockFlowNode = Node<PipelineNode, 'block'>;
export type NoteFlowNode = Node<PipelineNote, 'note'>;
export type FrameFlowNode = Node<PipelineGroup, 'frame'>;
export type StudioFlowNode = BlockFlowNode | NoteFlowNode | FrameFlowNode;

/** Size assumed for an item React Flow has not measured yet (first frame, tests without a DOM). */
export const DEFAULT_BLOCK_SIZE: Size = { width: 220, height: 110 };
const FRAME_PAD = 20;
const FRAME_TITLE = 30;
/** Frames sit below everything, even when selected (selection lifts z by 1000). */
const FRAME_Z = -2000;

/** The frame around a group's blocks: their bounding box plus padding and a title bar. */
export function groupBounds(group: PipelineGroup, doc: Pipeline, sizes: Readonly<Record<string, Size>>) {
  const members = doc.nodes.filter((n) => group.nodeIds.includes(n.id));
  if (!members.length) return undefined;
  let x0 = Infinity,
    y0 = Infinity,
    x1 = -Infinity,
    y1 = -Infinity;
  for (const n of members) {
    const size = sizes[n.id] ?? DEFAULT_BLOCK_SIZE;
    x0 = Math.min(x0, n.position.x);
    y0 = Math.min(y0, n.position.y);
    x1 = Math.max(x1, n.position.x + size.width);
    y1 = Math.max(y1, n.position.y + size.height);
  }
  return { x: x0 - FRAME_PAD, y: y0 - FRAME_PAD - FRAME_TITLE, width: x1 - x0 + 2 * FRAME_PAD, height: y1 - y0 + 2 * FRAME_PAD + FRAME_TITLE };
}

/**
 * Reuses flow node objects whose inputs did not change, so React Flow (which compares node
 * objects by identity) and the memoised node components skip them.
 */
export class FlowNodeCache {
  private entries = new Map<string, { key: unknown[]; node: StudioFlowNode }>();

  get<T extends StudioFlowNode>(id: string, key: unknown[], make: () => T): T {
    const hit = this.entries.get(id);
    if (hit && hit.key.length === key.length && hit.key.every((k, i) => Object.is(k, key[i]))) return hit.node as T;
    const node = make();
    this.entries.set(id, { key, node });
    return node;
  }

  /** Forgets ids that are gone. */
  keep(ids: Set<string>): void {
    for (const id of this.entries.keys()) if (!ids.has(id)) this.entries.delete(id);
  }
}

/** Frames first (drawn behind), then blocks, then notes. */
export function toFlowNodes(doc: Pipeline, selection: Selection, sizes: Readonly<Record<string, Size>>, cache = new FlowNodeCache()): StudioFlowNode[] {
  const selected = new Set(selection.nodes);
  const out: StudioFlowNode[] = [];
  for (const group of doc.groups) {
    const bounds = groupBounds(group, doc, sizes);
    if (!bounds) continue;
    const id = groupFlowId(group.id);
    const isSelected = selected.has(id);
    out.push(
      cache.get(id, [group, bounds.x, bounds.y, bounds.width, bounds.height, isSelected], (): FrameFlowNode => ({
        id,
        type: 'frame',
        data: group,
        position: { x: bounds.x, y: bounds.y },
        width: bounds.width,
        height: bounds.height,
        measured: { width: bounds.width, height: bounds.height },
        selected: isSelected,
        zIndex: FRAME_Z,
        dragHandle: '.frame-title',
      })),
    );
  }
  for (const node of doc.nodes) {
    const size = sizes[node.id];
    const isSelected = selected.has(node.id);
    out.push(
      cache.get(node.id, [node, size, isSelected], (): BlockFlowNode => ({
        id: node.id,
        type: 'block',
        data: node,
        position: node.position,
        selected: isSelected,
        ...(size ? { measured: size } : {}),
      })),
    );
  }
  for (const note of doc.notes) {
    const id = noteFlowId(note.id);
    const size = sizes[id];
    const isSelected = selected.has(id);
    out.push(
      cache.get(id, [note, size, isSelected], (): NoteFlowNode => ({
        id,
        type: 'note',
        data: note,
        position: note.position,
        selected: isSelected,
        ...(note.width !== undefined ? { width: note.width } : {}),
        ...(note.height !== undefined ? { height: note.height } : {}),
        ...(size ? { measured: size } : {}),
      })),
    );
  }
  cache.keep(new Set(out.map((n) => n.id)));
  return out;
}

/** The port type an edge carries (its source output's), when the kinds are known. */
export function edgePortType(doc: Pipeline, edge: Pipeline['edges'][number]) {
  const source = doc.nodes.find((n) => n.id === edge.source);
  return source ? registry.get(source.type)?.outputs[edge.sourceHandle]?.type : undefined;
}

/** Edges coloured by port type; those the compiler blamed are drawn red and dashed. */
export function toFlowEdges(doc: Pipeline, selection: Selection, broken: ReadonlySet<string>): Edge[] {
  const selected = new Set(selection.edges);
  return doc.edges.map((e) => {
    const type = edgePortType(doc, e);
    const isBroken = broken.has(e.id);
    return {
      id: e.id,
      source: e.source,
      sourceHandle: e.sourceHandle,
      target: e.target,
      targetHandle: e.targetHandle,
      selected: selected.has(e.id),
      className: isBroken ? 'edge-broken' : undefined,
      style: { stroke: isBroken ? '#dc2626' : type ? PORT_TYPES[type].color : '#94a3b8' },
      data: { portType: type ?? null },
    };
  });
}

/**
 * The point nearest `at` where a block of `size` overlaps no block or note, searched on rings
 * of 40 px steps (so a block added "at the centre" does not land on top of another).
 * @example freeSpot(doc, sizes, { x: 0, y: 0 }) // { x: 0, y: 0 } on an empty canvas
 */
export function freeSpot(doc: Pipeline, sizes: Readonly<Record<string, Size>>, at: { x: number; y: number }, size: Size = DEFAULT_BLOCK_SIZE) {
  const MARGIN = 16;
  const rects = [
    ...doc.nodes.map((n) => ({ ...n.position, ...(sizes[n.id] ?? DEFAULT_BLOCK_SIZE) })),
    ...doc.notes.map((n) => ({ ...n.position, ...(sizes[noteFlowId(n.id)] ?? { width: n.width ?? 240, height: n.height ?? 80 }) })),
  ];
  const free = (x: number, y: number) =>
    rects.every((r) => x + size.width + MARGIN <= r.x || r.x + r.width + MARGIN <= x || y + size.height + MARGIN <= r.y || r.y + r.height + MARGIN <= y);
  const STEP = 40;
  for (let ring = 0; ring <= 25; ring++) {
    const cells: [number, number][] = [];
    for (let i = -ring; i <= ring; i++) cells.push([i, -ring], [i, ring], [-ring, i], [ring, i]);
    cells.sort((a, b) => Math.hypot(...a) - Math.hypot(...b)); // nearest first within the ring
    for (const [dx, dy] of cells) {
      const x = Math.round(at.x + dx * STEP);
      const y = Math.round(at.y + dy * STEP);
      if (free(x, y)) return { x, y };
    }
  }
  return { x: Math.round(at.x), y: Math.round(at.y) };
}
