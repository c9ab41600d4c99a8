// The node kinds of the model block's subgraph, in palette order (a registry of their own: they
// live only inside a `model` node).
import type { AnyNodeDefinition } from '../../nodes/define';
import { createRegistry } from '../../nodes/registry';
import { attention } from './attention';
import { block_in } from './block_in';
import { block_out } from './block_out';
import { embedding } from './embedding';
import { ffn } from './ffn';
import { lm_head } from './lm_head';
import { norm } from './norm';
import { positions } from './positions';
import { repeat } from './repeat';
import { residual } from './residual';

export const MODEL_GRAPH_KINDS = [
  embedding,
  positions,
  repeat,
  norm,
  attention,
  ffn,
  residual,
  lm_head,
  block_in,
  block_out,
] as unknown as readonly AnyNodeDefinition[];

export const modelGraphRegistry = createRegistry(MODEL_GRAPH_KINDS);

/** Kinds that live inside the repeat only (its boundary). */
export const BLOCK_BOUNDARY_KINDS = ['block_in', 'block_out'];
