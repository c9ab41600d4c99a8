// block_out: where the stream leaves the repeated transformer block (into the next copy, or out of the stack).
import { z } from 'zod';
import { defineNode, port } from '../../nodes/define';

export const block_out = defineNode({
  kind: 'block_out',
  title: 'Block output',
  category: 'model',
  description: 'The stream leaving one transformer block, into the next (or out of the stack).',
  version: 1,
  inputs: { x: port('Residual', 'h') },
  outputs: {},
  params: z.object({}),
  summary: [],
});
