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
  }),
  summary: ['grad_accum_steps'],
  create(p) {
    const n = p.grad_accum_steps;
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
        // The loss is shown on (and a non-finite one blamed on) the node that computed it.
        ctx.metricFor(pass.sourceNodeId, 'loss', meanLoss);
        return { grads, loss: tf.scalar(meanLoss) };
      },
    };
  },
});
