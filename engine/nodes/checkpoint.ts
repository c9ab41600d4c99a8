// checkpoint: saves weights + optimizer state (safetensors) and run metadata every N steps,
// keeping the last K. Each save is atomic, so a crash never leaves a half-written checkpoint.
import { z } from 'zod';
import { defineNode, port } from './define';

export const checkpoint = defineNode({
  kind: 'checkpoint',
  title: 'Checkpoint',
  category: 'outputs',
  description: 'Saves the model and optimizer state every N steps (safetensors + JSON), keeping the last K.',
  version: 1,
  inputs: { model: port('Model', 'model') },
  outputs: {},
  params: z.object({
    every: z.number().int().min(1).default(500).describe('steps between checkpoints'),
    keep_last: z.number().int().min(1).max(1000).default(3).describe('checkpoints kept on disk'),
    at_end: z.boolean().default(true).describe('also save after the last step'),
  }),
  hot: ['every', 'keep_last', 'at_end'],
  summary: ['every', 'keep_last'],
});
