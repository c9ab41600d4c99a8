// model: how the node runs (its ports and params: engine/nodes/model.ts).
import type * as tf from '@tensorflow/tfjs-core';
import { Gpt } from '../../model/gpt';
import { implementNode } from '../../nodes/define';
import { gptConfig, model } from '../../nodes/model';
import { InsideView } from '../insides';

export const modelImplementation = implementNode(model, {
  create(p, ctx) {
    const gpt = new Gpt(gptConfig(p), ctx.seed);
    ctx.info({ parameters: gpt.parameterCount() });
    const view = new InsideView(gpt, p); // reads p.inspect_every at every step: a live edit changes it in place
    return {
      outputs: { model: gpt },
      step: ({ x }, stepCtx) => ({ logits: gpt.forward(x as tf.Tensor2D, view.probeFor(stepCtx.step)) }),
      insides: (grads, stepCtx) => view.collect(stepCtx.step, grads),
      saveState: () => ({ tensors: new Map(gpt.params) }),
      loadState(state) {
        if (state.tensors) gpt.loadWeights(new Map([...state.tensors].filter(([name]) => gpt.params.has(name))));
      },
      dispose() {
        view.dispose();
        gpt.dispose();
      },
    };
  },
});
