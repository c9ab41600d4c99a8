// model: how the node runs (its ports and params: engine/nodes/model.ts).
import type * as tf from '@tensorflow/tfjs-core';
import { Gpt } from '../../model/gpt';
import { implementNode } from '../../nodes/define';
import { gptConfig, model } from '../../nodes/model';

export const modelImplementation = implementNode(model, {
  create(p, ctx) {
    const gpt = new Gpt(gptConfig(p), ctx.seed);
    ctx.info({ parameters: gpt.parameterCount() });
    return {
      outputs: { model: gpt },
      step: ({ x }) => ({ logits: gpt.forward(x as tf.Tensor2D) }),
      saveState: () => ({ tensors: new Map(gpt.params) }),
      loadState(state) {
        if (state.tensors) gpt.loadWeights(new Map([...state.tensors].filter(([name]) => gpt.params.has(name))));
      },
      dispose: () => gpt.dispose(),
    };
  },
});
