// get_batch: how the node runs (its ports and params: engine/nodes/get_batch.ts).
import * as tf from '@tensorflow/tfjs-core';
import { readBatch, type Batch } from '../../data/batch';
import { implementNode } from '../../nodes/define';
import { get_batch } from '../../nodes/get_batch';
import { Rng, type RngState } from '../../random';
import type { TokenSplit } from './dataset';

export const getBatchImplementation = implementNode(get_batch, {
  create(p, ctx) {
    const source = ctx.inputs.tokens as TokenSplit;
    const { batch_size: B, context_length: T } = p;
    if (source.reader.length <= T) {
      throw new Error(`${source.split} split has ${source.reader.length} tokens; context_length ${T} needs at least ${T + 1}`);
    }
    const rng = new Rng(p.seed);
    let batch: Batch | undefined;
    return {
      // Reads the next batch from disk before the (synchronous) gradient pass runs.
      async prepare() {
        batch = await readBatch(source.reader, rng, B, T);
      },
      step(_inputs, step) {
        step.countTokens(B * T);
        return { x: tf.tensor2d(batch!.x, [B, T], 'int32'), y: tf.tensor2d(batch!.y, [B, T], 'int32') };
      },
      saveState: () => ({ json: { rng: rng.getState() } }),
      loadState(state) {
        const saved = (state.json as { rng?: RngState } | undefined)?.rng;
        if (saved) rng.setState(saved);
      },
    };
  },
});
