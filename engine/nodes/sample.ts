// sample: generates text from the model every N steps (temperature, top-k), decoded with the
// dataset's tokenizer, so you can read what the model has learned so far.
import { z } from 'zod';
import { defineNode, port } from './define';

export const sample = defineNode({
  kind: 'sample',
  title: 'Sample text',
  category: 'outputs',
  description: 'Generates text from a prompt every N steps, with temperature and top-k.',
  version: 1,
  inputs: {
    model: port('Model', 'model'),
    data: port('TokenSource', 'tokenizer', { optional: true, description: "decode with this dataset's tokenizer (default: bytes)" }),
  },
  outputs: {},
  params: z.object({
    every: z.number().int().min(1).default(200).describe('steps between samples (and at the end)'),
    prompt: z.string().max(2000).default('The ').describe('text the generation starts from'),
    max_new_tokens: z.number().int().min(1).max(4096).default(120).describe('tokens to generate'),
    temperature: z.number().positive().max(10).default(0.8).describe('below 1 sharper, above 1 more random'),
    top_k: z.number().int().min(0).max(1_000_000).default(40).describe('sample among the k likeliest tokens; 0 = all'),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .default(7)
      .describe('seed of the sampler'),
  }),
  hot: ['every', 'max_new_tokens', 'temperature', 'top_k'],
  summary: ['every', 'temperature', 'top_k'],
});
