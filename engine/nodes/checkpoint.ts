// checkpoint: saves weights + optimizer state (safetensors) and run metadata every N steps,
// keeping the last K. Each save is atomic, so a crash never leaves a half-written checkpoint.
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { encodeCheckpoint } from '../checkpoint/checkpoint';
import { checkpointName, pruneCheckpoints } from '../checkpoint/store';
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
  create: (p) => ({
    // After the step, once every node (samplers, the batch RNG) has moved on: resuming from here
    // continues exactly as the uninterrupted run.
    async afterStep(summary, ctx) {
      const done = summary.step;
      if (done % p.every !== 0 && !(p.at_end && done === ctx.totalSteps)) return;
      const snapshot = ctx.snapshot();
      let weights: Uint8Array;
      try {
        weights = await encodeCheckpoint(snapshot);
      } finally {
        for (const t of snapshot.tensors.values()) if (!(t instanceof tf.Variable)) t.dispose();
      }
      const name = checkpointName(done);
      const entry = await ctx.io.checkpoints.save(name, weights, snapshot.meta);
      const removed = await pruneCheckpoints(ctx.io.checkpoints, p.keep_last);
      ctx.metric('bytes', entry.bytes);
      ctx.emit({ type: 'checkpoint/saved', nodeId: ctx.nodeId, step: done, data: { name, bytes: entry.bytes, removed } });
    },
  }),
});
