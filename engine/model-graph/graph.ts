// The model block's subgraph as stored in a pipeline (format 3): inner nodes and edges, with the
// repeated transformer block as a subgraph of the `repeat` node. Parameter names derive from the
// inner node ids (and the block index inside the repeat), so the ids of the default graph are fixed
// per role: renaming one renames its weights, which is a pipeline migration.
import { z } from 'zod';
import { NodeId, PipelineEdge, Position } from '../pipeline/schema';

export interface InnerNode {
  id: string;
  /** An inner node kind (engine/model-graph/kinds/). */
  type: string;
  version?: number;
  params: Record<string, unknown>;
  /** Canvas position; inside a repeat, relative to its frame. */
  position?: { x: number; y: number };
  /** The repeated block (repeat nodes only). */
  graph?: InnerGraph;
}

export interface InnerGraph {
  nodes: InnerNode[];
  edges: PipelineEdge[];
}

export const InnerNode: z.ZodType<InnerNode> = z.lazy(() =>
  z.object({
    id: NodeId,
    type: z.string().min(1).max(64),
    version: z.number().int().positive().optional(),
    params: z.record(z.string(), z.unknown()).default({}),
    position: Position.optional(),
    graph: InnerGraph.optional(),
  }),
) as z.ZodType<InnerNode>;

export const InnerGraph: z.ZodType<InnerGraph> = z.lazy(() =>
  z.object({
    nodes: z.array(InnerNode).max(100),
    edges: z.array(PipelineEdge).max(200),
  }),
);

/** The ids of the default graph, by role: they name the parameters (`blocks.3.attn.wq`, `norm_f.weight`). */
export const ROLE_IDS = {
  embedding: 'wte',
  positions: 'wpe',
  repeat: 'blocks',
  finalNorm: 'norm_f',
  head: 'lm_head',
  blockIn: 'in',
  norm1: 'norm1',
  attention: 'attn',
  residual1: 'res1',
  norm2: 'norm2',
  ffn: 'ffn',
  residual2: 'res2',
  blockOut: 'out',
} as const;

/** Every inner node, the repeat's block included, with the id of the repeat that holds it (if any). */
export function innerNodes(graph: InnerGraph): { node: InnerNode; repeat?: string }[] {
  return graph.nodes.flatMap((node) => [{ node }, ...(node.graph?.nodes ?? []).map((inner) => ({ node: inner, repeat: node.id }))]);
}
