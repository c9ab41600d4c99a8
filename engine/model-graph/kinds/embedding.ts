// embedding: token ids -> vectors (wte [vocab_size, d_model]); the start of the model's stream.
import { z } from 'zod';
import { defineNode, port } from '../../nodes/define';

export const embedding = defineNode({
  kind: 'embedding',
  title: 'Token embedding',
  category: 'model',
  description: "Looks up a d_model vector for each token id of the model's input x (parameter wte).",
  version: 1,
  inputs: {},
  outputs: { y: port('Residual', 'h') },
  params: z.object({
    vocab_size: z.number().int().min(2).max(1_000_000).default(256).describe('token ids the model can read and predict'),
    d_model: z.number().int().min(1).max(16_384).default(128).describe('width of the residual stream (C)'),
  }),
  summary: ['vocab_size', 'd_model'],
});
