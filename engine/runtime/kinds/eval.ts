// eval: how the node runs (its ports and params: engine/nodes/eval.ts). Forward only, so a batch
// costs about a third of a training step; what used to come on top of that was per-batch overhead:
// K batches of B sequential window reads and one read-back per batch. The windows are now read once
// (concurrently) and kept, and the losses are read back together.
import * as tf from '@tensorflow/tfjs-core';
import { type Batch, readBatch } from '../../data/batch';
import type { NpyTokenReader } from '../../data/npy';
import { crossEntropy, type Gpt } from '../../model/gpt';
import { implementNode } from '../../nodes/define';
import { evaluate } from '../../nodes/eval';
import { Rng } from '../../random';
import type { TokenSplit } from './dataset';

/** Eval windows (x and y, int32) kept in memory up to this many bytes; larger evals stream them. */
export const EVAL_WINDOW_CACHE_BYTES = 64 << 20;

export interface EvalSpec {
  batches: number; // batches averaged
  batchSize: number; // sequences per batch (B)
  contextLength: number; // tokens per sequence (T)
  seed: number; // seed of the windows
}

/**
 * Mean validation loss over `spec.batches` batches drawn from a fresh Rng(spec.seed). Pass the
 * same `cache` array on every call to read the windows once (they are the same each time); the
 * losses are summed in float64 in batch order, so the value does not depend on the cache.
 * @example
 *   const cache: Batch[] = [];
 *   await evalLoss(gpt, reader, { batches: 10, batchSize: 16, contextLength: 64, seed: 42 }, cache); // 2.31
 */
export async function evalLoss(gpt: Gpt, reader: NpyTokenReader, spec: EvalSpec, cache?: Batch[]): Promise<number> {
  const { batches, batchSize: B, contextLength: T } = spec;
  const rng = new Rng(spec.seed);
  const batchAt = async (k: number): Promise<Batch> => cache?.[k] ?? readBatch(reader, rng, B, T);
  const losses: tf.Scalar[] = [];
  try {
    let next = batchAt(0);
    for (let k = 0; k < batches; k++) {
      const { x, y } = await next;
      if (cache && cache.length === k) cache.push({ x, y });
      // The next windows are read while this batch computes (the draws stay in order).
      if (k + 1 < batches) next = batchAt(k + 1);
      losses.push(tf.tidy(() => crossEntropy(gpt.forward(tf.tensor2d(x, [B, T], 'int32')), tf.tensor2d(y, [B, T], 'int32'))));
    }
    const values = tf.tidy(() => tf.stack(losses));
    const all = await values.data(); // one read-back per evaluation
    values.dispose();
    let sum = 0;
    for (const v of all) sum += v;
    return sum / batches;
  } finally {
    tf.dispose(losses);
  }
}

export const evaluateImplementation = implementNode(evaluate, {
  create(p, setup) {
    const gpt = setup.inputs.model as Gpt;
    const data = setup.inputs.data as TokenSplit;
    const spec: EvalSpec = { batches: p.batches, batchSize: p.batch_size, contextLength: p.context_length || gpt.config.contextLength, seed: p.seed };
    const T = spec.contextLength;
    if (data.reader.length <= T) throw new Error(`${data.split} split has ${data.reader.length} tokens; context_length ${T} needs at least ${T + 1}`);
    const windowBytes = 2 * 4 * spec.batches * spec.batchSize * T;
    const cache: Batch[] | undefined = windowBytes <= EVAL_WINDOW_CACHE_BYTES ? [] : undefined;
    return {
      async step(_inputs, ctx) {
        const due = (ctx.step + 1) % p.every === 0 || ctx.step + 1 === ctx.totalSteps;
        if (!due) return;
        const valLoss = await evalLoss(gpt, data.reader, spec, cache);
        ctx.metric('val_loss', valLoss);
        ctx.emit({ type: 'eval', nodeId: ctx.nodeId, step: ctx.step + 1, data: { val_loss: valLoss, batches: p.batches } });
      },
    };
  },
});
