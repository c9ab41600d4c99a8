// backward: how the node runs (its ports and params: engine/nodes/backward.ts).
import * as tf from '@tensorflow/tfjs-core';
import { backward } from '../../nodes/backward';
import { implementNode } from '../../nodes/define';
import type { GradientPass } from '../types';

export const backwardImplementation = implementNode(backward, {
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
          ctx.emit({
            type: 'node/notice',
            nodeId: ctx.nodeId,
            step: ctx.step + 1,
            data: { message: `step ${ctx.step + 1} skipped: loss ${meanLoss}, or a gradient, is not finite` },
          });
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
