// repeat: the transformer block, a subgraph edited once and stacked n times (blocks.0 … blocks.n-1).
import { z } from 'zod';
import { defineNode, port } from '../../nodes/define';

export const repeat = defineNode({
  kind: 'repeat',
  title: 'Transformer block × N',
  category: 'model',
  description: 'Holds the transformer block (block_in → … → block_out) and stacks it n times; each copy has its own weights.',
  version: 1,
  inputs: { x: port('Residual', 'h') },
  outputs: { y: port('Residual', 'h') },
  params: z.object({
    n: z.number().int().min(1).max(256).default(2).describe('transformer blocks (layers)'),
  }),
  summary: [], // the canvas titles it "Transformer block × n"
});
