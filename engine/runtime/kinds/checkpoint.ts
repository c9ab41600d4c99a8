// checkpoint: how the node runs (its ports and params: engine/nodes/checkpoint.ts).
import * as tf from '@tensorflow/tfjs-core';
import { encodeCheckpoint } from '../../checkpoint/checkpoint';
import { checkpointName, pruneCheckpoints } from '../../checkpoint/checkpoint-store';
import { checkpoint } from '../../nodes/checkpoint';
import { implementNode } from '../../nodes/define';

export const checkpointImplementation = implementNode(checkpoint, {
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
