// residual: the skip connection, skip + branch (He et al. 2016), which keeps the stream flowing
// through deep stacks.
import { z } from 'zod';
import { defineNode, port } from '../../nodes/define';

export const residual = defineNode({
  kind: 'residual',
  title: 'Residual add',
  category: 'model',
  description: "Adds a layer's output (branch) back onto the stream it read (skip).",
  version: 1,
  inputs: { skip: port('Residual', 'skip'), branch: port('Residual', 'branch') },
  outputs: { y: port('Residual', 'h') },
  params: z.object({}),
  summary: [],
});
