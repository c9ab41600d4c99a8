// eval: validation loss every N steps, averaged over K batches. The windows are drawn from a
// fresh Rng(seed) each time, so every evaluation sees the same text and curves compare cleanly.
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { crossEntropy, type Gpt } from '../model/gpt';
import { readBatch } from '../data/batch';
import { Rng } from '../random';
import type { TokenSplit } from './dataset';
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
    context_length: z.number().int().min(0).max(65_536).default(0).describe('tokens per sequence; 0 = the model\'s'),
    seed: z.number().int().min(0).max(2 ** 32 - 1).default(42).describe('seed of the (fixed) evaluation windows'),
  }),
  hot: ['every', 'batches'],
  summary: ['every', 'batches'],
  create(p, setup) {
    const gpt = setup.inputs.model as Gpt;
    const data = setup.inputs.data as TokenSplit;
    const B = p.batch_size;
    const T = p.context_length || gpt.config.contextLength;
    if (data.reader.length <= T) throw new Error(`${data.split} split has ${data.reader.length} tokens; context_length ${T} needs at least ${T + 1}`);
    return {
      async step(_inputs, ctx) {
        const due = (ctx.step + 1) % p.every === 0 || ctx.step + 1 === ctx.totalSteps;
        if (!due) return;
        const rng = new Rng(p.seed);
        let sum = 0;
        for (let k = 0; k < p.batches; k++) {
          const { x, y } = await readBatch(data.reader, rng, B, T);
          const loss = tf.tidy(() => crossEntropy(gpt.forward(tf.tensor2d(x, [B, T], 'int32')), tf.tensor2d(y, [B, T], 'int32')));
          sum += (await loss.data())[0];
          loss.dispose();
        }
        const valLoss = sum / p.batches;
        ctx.metric('val_loss', valLoss);
        ctx.emit({ type: 'eval', nodeId: ctx.nodeId, step: ctx.step + 1, data: { val_loss: valLoss, batches: p.batches } });
      },
    };
  },
});
