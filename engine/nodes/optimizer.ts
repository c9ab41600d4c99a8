// optimizer: AdamW, Adam, SGD (momentum, Nesterov), Adagrad or Lion; one node, switched by `kind`.
// Weight decay skips parameters of rank < 2 (norm weights, biases) unless asked otherwise.
import { z } from 'zod';
import { appliesTo, defineNode, port } from './define';

/** The optimizer kinds: the inspector's select, the engine's and the PyTorch export's switch. */
export const OPTIMIZER_KINDS = ['adamw', 'adam', 'sgd', 'adagrad', 'lion'] as const;
export type OptimizerKind = (typeof OPTIMIZER_KINDS)[number];

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
    kind: z.enum(OPTIMIZER_KINDS).default('adamw').describe('update rule'),
    lr: z.number().positive().max(10).default(1e-3).describe('learning rate when no scheduler is connected'),
    weight_decay: z.number().min(0).max(10).default(0.1).describe('decoupled for adamw/lion, L2 for adam/sgd/adagrad'),
    beta1: appliesTo(z.number().min(0).max(1).lt(1).default(0.9).describe('first-moment decay'), ['adam', 'adamw', 'lion']),
    beta2: appliesTo(z.number().min(0).max(1).lt(1).default(0.95).describe('second-moment decay'), ['adam', 'adamw', 'lion']),
    eps: appliesTo(z.number().positive().max(1).default(1e-8).describe('denominator guard'), ['adam', 'adamw', 'adagrad']),
    momentum: appliesTo(z.number().min(0).max(1).lt(1).default(0.9).describe('momentum'), ['sgd']),
    nesterov: appliesTo(z.boolean().default(false).describe('Nesterov momentum'), ['sgd']),
    dampening: appliesTo(z.number().min(0).max(1).default(0).describe('momentum dampening'), ['sgd']),
    initial_accumulator: appliesTo(z.number().min(0).default(0).describe('starting sum of squares'), ['adagrad']),
    decay_norms_and_biases: z.boolean().default(false).describe('also decay rank-1 params (norm weights, biases)'),
  }),
  hot: ['lr', 'weight_decay', 'beta1', 'beta2', 'eps', 'momentum', 'nesterov', 'dampening', 'decay_norms_and_biases'],
  summary: ['kind', 'weight_decay'],
  check(p) {
    return p.nesterov && p.kind === 'sgd' && (p.momentum === 0 || p.dampening !== 0)
      ? [{ field: 'nesterov', message: 'Nesterov needs momentum > 0 and dampening 0' }]
      : [];
  },
});

/** An optimizer node's params, defaults filled in. */
export type OptimizerParams = z.infer<typeof optimizer.params>;
