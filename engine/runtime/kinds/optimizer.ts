// optimizer: how the node runs (its ports and params: engine/nodes/optimizer.ts).
import type * as tf from '@tensorflow/tfjs-core';
import type { Gpt } from '../../model/gpt';
import { implementNode } from '../../nodes/define';
import { optimizer, type OptimizerParams } from '../../nodes/optimizer';
import { createOptimizer, type OptimizerConfig } from '../../optim/optimizers';

export const optimizerImplementation = implementNode(optimizer, {
  create(p, setup) {
    const gpt = setup.inputs.model as Gpt;
    const config = optimizerConfig(p);
    const optim = createOptimizer(gpt.params, config);
    return {
      outputs: { model: gpt, optimizer: optim },
      step({ grads, lr }, ctx) {
        const rate = typeof lr === 'number' ? lr : p.lr;
        if ((grads as Map<string, tf.Tensor>).size === 0) return; // backward skipped this update
        optim.step(grads as Map<string, tf.Tensor>, rate);
        ctx.metric('lr', rate);
      },
      // The optimizer reads its config at every update: a live edit changes it in place.
      retune(next) {
        const changed = optimizerConfig(next as OptimizerParams);
        if (p.kind === 'sgd' && (changed.momentum === 0) !== (config.momentum === 0)) {
          throw new Error('momentum cannot switch between 0 and non-zero while sgd trains (its momentum buffer would appear or vanish); fork the run instead');
        }
        Object.assign(config, changed);
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

function optimizerConfig(p: OptimizerParams): OptimizerConfig {
  return {
    kind: p.kind, beta1: p.beta1, beta2: p.beta2, eps: p.eps, weightDecay: p.weight_decay,
    decayNormsAndBiases: p.decay_norms_and_biases, momentum: p.momentum, nesterov: p.nesterov,
    dampening: p.dampening, initialAccumulator: p.initial_accumulator,
  };
}
