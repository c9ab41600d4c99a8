// block_in: where the stream enters the repeated transformer block.
import { z } from 'zod';
import { defineNode, port } from '../../nodes/define';

export const block_in = defineNode({
  kind: 'block_in',
  title: 'Block input',
  category: 'model',
  description: 'The stream entering one transformer block.',
  version: 1,
  inputs: {},
  outputs: { y: port('Residual', 'h') },
  params: z.object({}),
  summary: [],
});
