// clip: scales all gradients down together when their global L2 norm exceeds max_norm
// (torch.nn.utils.clip_grad_norm_). Reports the norm before clipping.
import { z } from 'zod';
import { defineNode, port } from './define';

export const clip = defineNode({
  kind: 'clip',
  title: 'Clip grads',
  category: 'optimization',
  description: 'Caps the global L2 norm of the gradients at max_norm.',
  version: 1,
  inputs: { grads: port('Grads', 'grads') },
  outputs: { grads: port('Grads', 'grads') },
  params: z.object({
    max_norm: z.number().min(0).max(1e6).default(1).describe('global L2 norm cap; 0 turns clipping off'),
  }),
  hot: ['max_norm'],
  summary: ['max_norm'],
});
