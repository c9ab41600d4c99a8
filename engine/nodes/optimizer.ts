// optimizer: AdamW, Adam, SGD (momentum, Nesterov), Adagrad or Lion; one node, switched by `kind`.
// Weight decay skips parameters of rank < 2 (norm weights, biases) unless asked otherwise.
import type * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { Gpt } from '../model/gpt';
import { createOptimizer, type OptimizerConfig } from '../optim/optimizers';
import { defineNode, port } from './define';

export const optimizer = defineNode({
  kind: 'optimizer',
  title: 'Optimizer',
  category: 'optimization',
  description: 'Updates the model from the gradients. Switch kind to swap the algorithm; shared settings carry over.',
  version: 1,
  inputs: {
    grads: port('Grads', 'grads'),
    lr: port('LR', 'lr', { optional: true, description: 'from a scheduler; without one the lr param is used' }),
    model: port('Model', 'model'),
  },
  outputs: { model: port('Model', 'model'), optimizer: port('Optimizer', 'optimizer') },
  params: z.object({
    kind: z.enum(['adamw', 'adam', 'sgd', 'adagrad', 'lion']).default('adamw').describe('update rule'),
    lr: z.number().positive().max(10).default(1e-3).describe('learning rate when no scheduler is connected'),
    weight_decay: z.number().min(0).max(10).default(0.1).describe('decoupled for adamw/lion, L2 for adam/sgd/adagrad'),
    beta1: z.number().min(0).max(1).lt(1).default(0.9).describe('first-moment decay (adam, adamw, lion)'),
    beta2: z.number().min(0).max(1).lt(1).default(0.95).describe('second-moment decay (adam, adamw, lion)'),
    eps: z.number().positive().max(1).default(1e-8).describe('denominator guard (adam, adamw, adagrad)'),
    momentum: z.number().min(0).max(1).lt(1).default(0.9).describe('momentum (sgd)'),
    nesterov: z.boolean().default(false).describe('Nesterov momentum (sgd)'),
    dampening: z.number().min(0).max(1).default(0).describe('momentum dampening (sgd)'),
    initial_accumulator: z.number().min(0).default(0).describe('starting sum of squares (adagrad)'),
    decay_norms_and_biases: z.boolean().default(false).describe('also decay rank-1 params (norm weights, biases)'),
  }),
  hot: ['lr', 'weight_decay', 'beta1', 'beta2', 'eps', 'momentum', 'nesterov', 'dampening', 'decay_norms_and_biases'],
  summary: ['kind', 'weight_decay'],
  check(p) {
    return p.nesterov && p.kind === 'sgd' && (p.momentum === 0 || p.dampening !== 0)
      ? [{ field: 'nesterov', message: 'Nesterov needs momentum > 0 and dampening 0' }]
      : [];
  },
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
        const changed = optimizerConfig(next as typeof p);
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

function optimizerConfig(p: z.infer<typeof optimizer.params>): OptimizerConfig {
  return {
    kind: p.kind, beta1: p.beta1, beta2: p.beta2, eps: p.eps, weightDecay: p.weight_decay,
    decayNormsAndBiases: p.decay_norms_and_biases, momentum: p.momentum, nesterov: p.nesterov,
    dampening: p.dampening, initialAccumulator: p.initial_accumulator,
  };
}
