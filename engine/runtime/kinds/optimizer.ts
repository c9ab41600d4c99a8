// optimizer: how the node runs (its ports and params: engine/nodes/optimizer.ts).
import type * as tf from '@tensorflow/tfjs';
import type { Gpt } from '../../model/gpt';
import { implementNode } from '../../nodes/define';
import { optimizer } from '../../nodes/optimizer';
import { createOptimizer } from '../../optim/optimizers';

export const optimizerImplementation = implementNode(optimizer, {
  create(p, setup) {
    const gpt = setup.inputs.model as Gpt;
    const optim = createOptimizer(gpt.params, {
      kind: p.kind, beta1: p.beta1, beta2: p.beta2, eps: p.eps, weightDecay: p.weight_decay,
      decayNormsAndBiases: p.decay_norms_and_biases, momentum: p.momentum, nesterov: p.nesterov,
      dampening: p.dampening, initialAccumulator: p.initial_accumulator,
    });
    return {
      outputs: { model: gpt, optimizer: optim },
      step({ grads, lr }, ctx) {
        const rate = typeof lr === 'number' ? lr : p.lr;
        if ((grads as Map<string, tf.Tensor>).size === 0) return; // backward skipped this update
        optim.step(grads as Map<string, tf.Tensor>, rate);
        ctx.metric('lr', rate);
      },
      saveState: () => ({ tensors: optim.getState() }),
      loadState(state) {
        if (!state.tensors) return;
        const own = new Map([...state.tensors].filter(([name]) => name.startsWith('optim.')));
        if (own.size) optim.setState(own);
      },
      dispose: () => optim.dispose(),
    };
  },
});
