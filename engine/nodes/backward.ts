// backward: gradients of the loss w.r.t. every model parameter, averaged over grad_accum_steps
// micro-batches (each a fresh batch), like loss.backward() called once per micro-batch.
import { z } from 'zod';
import { defineNode, port } from './define';

export const backward = defineNode({
  kind: 'backward',
  title: 'Backward',
  category: 'optimization',
  description: 'Computes the gradients of the loss, accumulating over several micro-batches if asked.',
  version: 1,
  inputs: { loss: port('Loss', 'loss', { differentiate: true }) },
  outputs: { grads: port('Grads', 'grads'), loss: port('Loss', 'loss') },
  params: z.object({
    grad_accum_steps: z.number().int().min(1).max(1024).default(1).describe('micro-batches per optimizer step'),
    on_nonfinite: z.enum(['stop', 'skip']).default('stop').describe('when the loss or a gradient is NaN/inf: stop the run, or skip this update and go on'),
  }),
  hot: ['on_nonfinite'],
  summary: ['grad_accum_steps'],
});
