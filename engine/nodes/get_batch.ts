// get_batch: random windows of context_length+1 tokens; x is the window, y the same shifted by one.
// Window starts are drawn with the portable Rng (engine/random.ts), so every executor draws the
// same batches for the same seed: start_b = rng.index(N - T) for b = 0..B-1.
import { z } from 'zod';
import { defineNode, port } from './define';

export const get_batch = defineNode({
  kind: 'get_batch',
  title: 'Get batch',
  category: 'data',
  description: 'Samples random windows of token ids: x = tokens[i : i+T], y = tokens[i+1 : i+T+1].',
  version: 1,
  inputs: { tokens: port('TokenSource', 'tokens') },
  outputs: { x: port('Tokens', 'x'), y: port('Tokens', 'y') },
  params: z.object({
    batch_size: z.number().int().min(1).max(4096).default(16).describe('sequences per micro-batch (B)'),
    context_length: z.number().int().min(1).max(65_536).default(64).describe('tokens per sequence (T)'),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .default(1337)
      .describe('seed of the window sampler'),
  }),
  summary: ['batch_size', 'context_length'],
});
