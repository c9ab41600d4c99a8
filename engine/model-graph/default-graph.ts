// The model subgraph equivalent to a version-1 `model` node's flat params (the v2 -> v3 pipeline
// migration), and the default graph a new model block starts with.
import { NORM_PLACEMENTS } from '../model/config';
import type { PipelineEdge } from '../pipeline/schema';
import { ROLE_IDS as R, type InnerGraph, type InnerNode } from './graph';

/** The flat params of a `model` node before pipeline format 3 (docs/pipeline-format.md, history). */
export const FLAT_MODEL_FIELDS = [
  'vocab_size',
  'context_length',
  'd_model',
  'n_layers',
  'n_heads',
  'd_ff',
  'rope_theta',
  'norm',
  'ffn',
  'tie_embeddings',
  'norm_eps',
  'positions',
  'n_kv_heads',
  'head_dim',
  'qk_norm',
  'norm_placement',
  'norm_learnable',
  'final_norm',
] as const;

type Flat = Partial<Record<(typeof FLAT_MODEL_FIELDS)[number], unknown>>;

const edge = (source: string, target: string, targetHandle = 'x', sourceHandle = 'y'): PipelineEdge => ({
  id: `${source}>${target}.${targetHandle}`,
  source,
  sourceHandle,
  target,
  targetHandle,
});

/** Only the values that were written: omitted ones keep taking the inner kinds' defaults. */
function written(entries: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(entries).filter(([, v]) => v !== undefined));
}

/** The transformer block, wired for the norm placement: pre `h + f(norm(h))`, post `norm(h + f(h))`, none `h + f(h)`. */
function blockGraph(f: Flat): InnerGraph {
  const placement = f.norm_placement ?? 'pre';
  const normParams = written({ kind: f.norm, eps: f.norm_eps, learnable: f.norm_learnable });
  const at = (x: number, y: number) => ({ x, y });
  const nodes: InnerNode[] = [
    { id: R.blockIn, type: 'block_in', params: {}, position: at(40, 50) },
    {
      id: R.attention,
      type: 'attention',
      params: written({ n_heads: f.n_heads, n_kv_heads: f.n_kv_heads, head_dim: f.head_dim, qk_norm: f.qk_norm }),
      position: at(40, 250),
    },
    { id: R.residual1, type: 'residual', params: {}, position: at(300, 350) },
    { id: R.ffn, type: 'ffn', params: written({ kind: f.ffn, d_ff: f.d_ff }), position: at(40, 550) },
    { id: R.residual2, type: 'residual', params: {}, position: at(300, 650) },
    { id: R.blockOut, type: 'block_out', params: {}, position: at(40, 760) },
  ];
  const norms: InnerNode[] = [
    { id: R.norm1, type: 'norm', params: normParams, position: placement === 'post' ? at(300, 450) : at(40, 150) },
    { id: R.norm2, type: 'norm', params: { ...normParams }, position: placement === 'post' ? at(300, 750) : at(40, 450) },
  ];
  if (placement === 'pre') {
    return {
      nodes: [...nodes, ...norms],
      edges: [
        edge(R.blockIn, R.norm1),
        edge(R.norm1, R.attention),
        edge(R.blockIn, R.residual1, 'skip'),
        edge(R.attention, R.residual1, 'branch'),
        edge(R.residual1, R.norm2),
        edge(R.norm2, R.ffn),
        edge(R.residual1, R.residual2, 'skip'),
        edge(R.ffn, R.residual2, 'branch'),
        edge(R.residual2, R.blockOut),
      ],
    };
  }
  if (placement === 'post') {
    return {
      nodes: [...nodes, ...norms],
      edges: [
        edge(R.blockIn, R.attention),
        edge(R.blockIn, R.residual1, 'skip'),
        edge(R.attention, R.residual1, 'branch'),
        edge(R.residual1, R.norm1),
        edge(R.norm1, R.ffn),
        edge(R.norm1, R.residual2, 'skip'),
        edge(R.ffn, R.residual2, 'branch'),
        edge(R.residual2, R.norm2),
        edge(R.norm2, R.blockOut),
      ],
    };
  }
  return {
    nodes,
    edges: [
      edge(R.blockIn, R.attention),
      edge(R.blockIn, R.residual1, 'skip'),
      edge(R.attention, R.residual1, 'branch'),
      edge(R.residual1, R.ffn),
      edge(R.residual1, R.residual2, 'skip'),
      edge(R.ffn, R.residual2, 'branch'),
      edge(R.residual2, R.blockOut),
    ],
  };
}

/** Height of the repeat's frame for the default block (the canvas draws the frame around its nodes). */
const BLOCK_FRAME_HEIGHT = 880;

/**
 * The model subgraph for flat (format 1/2) params; values are copied as written, so a bad one is
 * reported on the inner node that now holds it.
 * @example modelGraphFromFlat({ d_model: 64, n_layers: 4 }).nodes.map((n) => n.id) // ['wte', 'wpe', 'blocks', 'norm_f', 'lm_head']
 */
export function modelGraphFromFlat(f: Flat): InnerGraph {
  const normParams = written({ kind: f.norm, eps: f.norm_eps, learnable: f.norm_learnable });
  const positions = written({ kind: f.positions, theta: f.positions === undefined || f.positions === 'rope' ? f.rope_theta : undefined });
  const head = written({ weights: f.tie_embeddings === undefined ? undefined : f.tie_embeddings === false ? 'untied' : 'tied' });
  const afterBlocks = 200 + BLOCK_FRAME_HEIGHT + 60;
  const nodes: InnerNode[] = [
    { id: R.embedding, type: 'embedding', params: written({ vocab_size: f.vocab_size, d_model: f.d_model }), position: { x: 0, y: 0 } },
    { id: R.positions, type: 'positions', params: positions, position: { x: 0, y: 100 } },
    { id: R.repeat, type: 'repeat', params: written({ n: f.n_layers }), position: { x: 0, y: 200 }, graph: blockGraph(f) },
  ];
  const edges = [edge(R.embedding, R.positions), edge(R.positions, R.repeat)];
  if (f.final_norm === false) {
    edges.push(edge(R.repeat, R.head));
  } else {
    nodes.push({ id: R.finalNorm, type: 'norm', params: { ...normParams }, position: { x: 0, y: afterBlocks } });
    edges.push(edge(R.repeat, R.finalNorm), edge(R.finalNorm, R.head));
  }
  nodes.push({ id: R.head, type: 'lm_head', params: head, position: { x: 0, y: afterBlocks + 100 } });
  return { nodes, edges };
}

/**
 * A format-1/2 `model` node's params in format 3: `context_length` stays on the block, the rest
 * becomes its subgraph; keys that were never model params stay too, so the compiler names them.
 */
export function migrateFlatModelParams(params: Record<string, unknown>): Record<string, unknown> {
  const flat: Flat = {};
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(params)) {
    // A placement is wiring, held by no inner param: an unknown one stays on the block, where the compiler names it.
    if (key === 'norm_placement' && !(NORM_PLACEMENTS as readonly unknown[]).includes(value)) rest[key] = value;
    else if ((FLAT_MODEL_FIELDS as readonly string[]).includes(key)) flat[key as keyof Flat] = value;
    else rest[key] = value;
  }
  return { ...rest, ...written({ context_length: flat.context_length }), graph: modelGraphFromFlat(flat) };
}
