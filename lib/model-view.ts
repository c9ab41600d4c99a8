// The model block's insides as the canvas draws and edits them: the subgraph's nodes as React Flow
// blocks (the repeat as a frame holding the block's nodes), its edges coloured by port type, and
// the edits a person makes there (wire, unwire, move), each returning new model params.
import type { Edge, Node } from '@xyflow/react';
import type { Diagnostic } from '../engine/compiler/diagnostics';
import { innerNodes, type InnerGraph, type InnerNode } from '../engine/model-graph/graph';
import { modelGraphRegistry } from '../engine/model-graph/kinds';
import { registry } from '../engine/nodes';
import { canConnect, PORT_TYPES } from '../engine/ports';
import type { PipelineNode } from './document';
import { effectiveValue, paramFields } from './param-form';

/** The block size assumed for frame bounds (blocks are about this size on the canvas). */
const BLOCK = { width: 220, height: 96 };
const FRAME_PAD = { x: 40, top: 60, bottom: 40 };

export type InnerFlowNode = Node<PipelineNode, 'block'>;

interface Located {
  node: InnerNode;
  /** The repeat holding it; undefined: the model's own level. */
  repeat?: string;
}

const graphOf = (params: Record<string, unknown>): InnerGraph | undefined => {
  const g = params.graph as InnerGraph | undefined;
  return g && Array.isArray(g.nodes) && Array.isArray(g.edges) ? g : undefined;
};

/** The repeat's frame: its block's nodes' bounding box plus padding (positions are relative to it). */
export function frameSize(repeat: InnerNode): { width: number; height: number } {
  const nodes = repeat.graph?.nodes ?? [];
  const right = Math.max(0, ...nodes.map((n) => (n.position?.x ?? 0) + BLOCK.width));
  const bottom = Math.max(0, ...nodes.map((n) => (n.position?.y ?? 0) + BLOCK.height));
  return { width: right + FRAME_PAD.x, height: bottom + FRAME_PAD.bottom };
}

/** React Flow nodes for a model's subgraph: the repeat first (a parent is listed before its children). */
export function innerFlowNodes(model: PipelineNode, selected: string | null): InnerFlowNode[] {
  const graph = graphOf(model.params);
  if (!graph) return [];
  const out: InnerFlowNode[] = [];
  const asBlock = (n: InnerNode, parentId?: string): InnerFlowNode => ({
    id: n.id,
    type: 'block',
    position: n.position ?? { x: 0, y: 0 },
    selected: n.id === selected,
    data: { id: n.id, type: n.type, params: n.params ?? {}, position: n.position ?? { x: 0, y: 0 } },
    ...(parentId ? { parentId, extent: 'parent' as const } : {}),
    ...(n.type === 'repeat' ? { style: frameSize(n), className: 'inner-repeat', zIndex: -1 } : {}),
  });
  for (const n of graph.nodes) {
    out.push(asBlock(n));
    for (const child of n.graph?.nodes ?? []) out.push(asBlock(child, n.id));
  }
  return out;
}

/** The subgraph's edges, both levels, coloured by the port type they carry. */
export function innerFlowEdges(model: PipelineNode, broken: ReadonlySet<string>): Edge[] {
  const graph = graphOf(model.params);
  if (!graph) return [];
  const types = new Map(innerNodes(graph).map(({ node }) => [node.id, node.type]));
  const levels = [graph, ...graph.nodes.flatMap((n) => (n.graph ? [n.graph] : []))];
  return levels.flatMap((g) =>
    g.edges.map((e) => {
      const type = modelGraphRegistry.get(types.get(e.source) ?? '')?.outputs[e.sourceHandle]?.type;
      const isBroken = broken.has(e.target) || broken.has(e.source);
      return {
        id: e.id,
        source: e.source,
        sourceHandle: e.sourceHandle,
        target: e.target,
        targetHandle: e.targetHandle,
        zIndex: 1,
        style: { stroke: isBroken ? '#dc2626' : type ? PORT_TYPES[type].color : '#94a3b8' },
      };
    }),
  );
}

/** The compiler's problems inside this model, by inner node id. */
export function innerProblems(diagnostics: readonly Diagnostic[], modelId: string): Diagnostic[] {
  return diagnostics.filter((d) => d.nodeId === modelId && d.innerNodeId !== undefined);
}

function locate(graph: InnerGraph, id: string): Located | undefined {
  return innerNodes(graph).find((e) => e.node.id === id);
}

export interface InnerConnection {
  source: string;
  sourceHandle: string;
  target: string;
  targetHandle: string;
}

/**
 * Why a wire inside the model would be refused (null when it is fine): both ends on one level,
 * port types equal (the engine's canConnect), the input free.
 * @example innerConnectionProblem(model.params, { source: 'lm_head', sourceHandle: 'logits', target: 'norm_f', targetHandle: 'x' }) // 'expected Residual, got Logits'
 */
export function innerConnectionProblem(params: Record<string, unknown>, c: InnerConnection): string | null {
  const graph = graphOf(params);
  const [from, to] = graph ? [locate(graph, c.source), locate(graph, c.target)] : [];
  if (!from || !to) return 'unknown block';
  if (from.repeat !== to.repeat) return 'a wire stays on one level: inside the transformer block, or around it';
  if (c.source === c.target) return 'a block cannot feed itself';
  const out = modelGraphRegistry.get(from.node.type)?.outputs[c.sourceHandle];
  const inp = modelGraphRegistry.get(to.node.type)?.inputs[c.targetHandle];
  if (!out || !inp) return 'unknown port';
  const ok = canConnect(out.type, inp.type);
  if (!ok.ok) return ok.reason;
  const level = from.repeat ? locate(graph!, from.repeat)!.node.graph! : graph!;
  if (level.edges.some((e) => e.target === c.target && e.targetHandle === c.targetHandle)) return `${c.target}.${c.targetHandle} is already connected`;
  return null;
}

/** A copy of the params with the graph changed by `change` (applied to a deep copy). */
function withGraph(params: Record<string, unknown>, change: (graph: InnerGraph) => void): Record<string, unknown> {
  const copy = structuredClone(params);
  const graph = graphOf(copy);
  if (graph) change(graph);
  return copy;
}

/** Adds a wire (checked by the caller with innerConnectionProblem). */
export function connectInner(params: Record<string, unknown>, c: InnerConnection): Record<string, unknown> {
  return withGraph(params, (graph) => {
    const from = locate(graph, c.source)!;
    const level = from.repeat ? locate(graph, from.repeat)!.node.graph! : graph;
    level.edges.push({ id: `${c.source}>${c.target}.${c.targetHandle}`, ...c });
  });
}

/** Removes wires by id, on either level. */
export function removeInnerEdges(params: Record<string, unknown>, ids: readonly string[]): Record<string, unknown> {
  return withGraph(params, (graph) => {
    for (const level of [graph, ...graph.nodes.flatMap((n) => (n.graph ? [n.graph] : []))]) level.edges = level.edges.filter((e) => !ids.includes(e.id));
  });
}

/** Moves a node (inside the repeat: relative to its frame). */
export function moveInner(params: Record<string, unknown>, id: string, position: { x: number; y: number }): Record<string, unknown> {
  return withGraph(params, (graph) => {
    const found = locate(graph, id);
    if (found) found.node.position = { x: Math.round(position.x), y: Math.round(position.y) };
  });
}

/** The inner node with this id, for the inspector. */
export function innerNode(model: PipelineNode, id: string): InnerNode | undefined {
  const graph = graphOf(model.params);
  return graph ? locate(graph, id)?.node : undefined;
}

/**
 * Steps between the run's inside views of this model (its `inspect_every`, the schema's default
 * when unset); 0 when off, or when the model kind has no such setting.
 * @example inspectEvery({ id: 'model', type: 'model', version: 3, params: { inspect_every: 5 }, position: { x: 0, y: 0 } }) // 5
 */
export function inspectEvery(model: PipelineNode): number {
  const field = paramFields(registry.get(model.type)!.params).find((f) => f.key === 'inspect_every');
  const value = field ? effectiveValue(field, model.params) : 0;
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : 0;
}

/** The zoom at which the smallest block text (11 px, studio.css) is drawn at 11 px on screen. */
export const READABLE_ZOOM = 1;

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * The inner canvas's fitted view when the whole graph would only fit below READABLE_ZOOM: zoom
 * READABLE_ZOOM, the graph centred across (or its left edge in view), and the top of the repeated
 * block (`focusTop`, flow units) just below the breadcrumb's room, so its layers, which carry the
 * run's numbers, are what a person sees first. Null when the whole graph fits readably.
 * @example readableViewport({ x: 0, y: 0, width: 520, height: 1500 }, 200, { width: 800, height: 700 }, { top: 56, bottom: 16, left: 48, right: 16 }) // { x: 156, y: -144, zoom: 1 }
 */
export function readableViewport(
  graph: Box,
  focusTop: number,
  pane: { width: number; height: number },
  pad: { top: number; bottom: number; left: number; right: number },
): { x: number; y: number; zoom: number } | null {
  const [room, roomHigh] = [pane.width - pad.left - pad.right, pane.height - pad.top - pad.bottom];
  if (graph.width <= 0 || graph.height <= 0 || Math.min(room / graph.width, roomHigh / graph.height) >= READABLE_ZOOM) return null;
  const zoom = READABLE_ZOOM;
  const x = pad.left + Math.max(0, (room - graph.width * zoom) / 2) - graph.x * zoom;
  const top = Math.max(graph.y, Math.min(focusTop, graph.y + graph.height - roomHigh / zoom));
  return { x: Math.round(x), y: Math.round(pad.top - top * zoom), zoom };
}
