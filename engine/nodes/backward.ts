// backward: gradients of the loss w.r.t. every model parameter, averaged over grad_accum_steps
// micro-batches (each a fresh batch), like loss.backward() called once per micro-batch.
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { GradientPass } from '../runtime/types';
import { defineNode, port } from './define';

export const backward = defineNode({
  kind: 'backward',
  title: 'Backward',
  category: 'optimization',
  description: 'Computes the gradients of the loss, accumulating over several micro-batches if asked.',
  version: 1,
  inputs: { loss: port('Loss', 'loss', { differentiate: true }) },
  outputs: { grads: port('Grads', 'grads'), loss: port('Loss', 'loss') },
  params: z.object({
    grad_accum_steps: z.number().int().min(1).max(1024).default(1).describe('micro-batches per optimizer step'),
    on_nonfinite: z.enum(['stop', 'skip']).default('stop')
      .describe('when the loss or a gradient is NaN/inf: stop the run, or skip this update and go on'),
  }),
  hot: ['on_nonfinite'],
  summary: ['grad_accum_steps'],
  create(p) {
    const n = p.grad_accum_steps;
    let skipped = 0;
    return {
      async step(inputs, ctx) {
        const pass = inputs.loss as GradientPass;
        const variableNames = new Map([...pass.params].map(([name, v]) => [v.name, name]));
        const grads = new Map<string, tf.Tensor>();
        let lossSum = 0;
        for (let micro = 0; micro < n; micro++) {
          await pass.prepare();
          const { value, grads: microGrads } = tf.variableGrads(() => tf.div(pass.forward(), n) as tf.Scalar, [...pass.params.values()]);
          lossSum += (await value.data())[0] * n;
          value.dispose();
          for (const [variableName, grad] of Object.entries(microGrads)) {
            const name = variableNames.get(variableName)!;
            const sum = grads.get(name);
            if (!sum) grads.set(name, grad);
            else {
              grads.set(name, tf.add(sum, grad));
              sum.dispose();
              grad.dispose();
            }
          }
        }
        const meanLoss = lossSum / n;
        if (p.on_nonfinite === 'skip' && !(Number.isFinite(meanLoss) && (await allFinite(grads)))) {
          // Drop this update: no grads reach the optimizer, and the run goes on with the next batch.
          tf.dispose([...grads.values()]);
          skipped++;
          ctx.metric('skipped_steps', skipped);
          ctx.emit({ type: 'node/notice', nodeId: ctx.nodeId, step: ctx.step + 1, data: { message: `step ${ctx.step + 1} skipped: loss ${meanLoss}, or a gradient, is not finite` } });
          return { grads: new Map<string, tf.Tensor>(), loss: tf.scalar(meanLoss) };
        }
        // The loss is shown on (and a non-finite one blamed on) the node that computed it.
        ctx.metricFor(pass.sourceNodeId, 'loss', meanLoss);
        return { grads, loss: tf.scalar(meanLoss) };
      },
    };
  },
});

/** Whether every element of every gradient is finite (one reduction, one read back). */
async function allFinite(grads: Map<string, tf.Tensor>): Promise<boolean> {
  if (!grads.size) return true;
  const finite = tf.tidy(() => tf.all(tf.stack([...grads.values()].map((g) => tf.all(tf.isFinite(g))))));
  const value = (await finite.data())[0];
  finite.dispose();
  return value === 1;
}
