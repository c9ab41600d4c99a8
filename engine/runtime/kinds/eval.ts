// eval: how the node runs (its ports and params: engine/nodes/eval.ts).
import * as tf from '@tensorflow/tfjs';
import { readBatch } from '../../data/batch';
import { crossEntropy, type Gpt } from '../../model/gpt';
import { implementNode } from '../../nodes/define';
import { evaluate } from '../../nodes/eval';
import { Rng } from '../../random';
import type { TokenSplit } from './dataset';

export const evaluateImplementation = implementNode(evaluate, {
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
