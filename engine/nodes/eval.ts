// eval: validation loss every N steps, averaged over K batches. The windows are drawn from a
// fresh Rng(seed) each time, so every evaluation sees the same text and curves compare cleanly.
import { z } from 'zod';
import { defineNode, port } from './define';

export const evaluate = defineNode({
  kind: 'eval',
  title: 'Eval',
  category: 'outputs',
  description: 'Validation loss every N steps over K batches of held-out data.',
  version: 1,
  inputs: { model: port('Model', 'model'), data: port('TokenSource', 'data') },
  outputs: {},
  params: z.object({
    every: z.number().int().min(1).default(100).describe('steps between evaluations (and at the end)'),
    batches: z.number().int().min(1).max(10_000).default(10).describe('batches averaged per evaluation'),
    batch_size: z.number().int().min(1).max(4096).default(16).describe('sequences per batch'),
    context_length: z.number().int().min(0).max(65_536).default(0).describe("tokens per sequence; 0 = the model's"),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .default(42)
      .describe('seed of the (fixed) evaluation windows'),
  }),
  hot: ['every', 'batches'],
  summary: ['every', 'batches'],
});
