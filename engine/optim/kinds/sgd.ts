// sgd: stochastic gradient descent with optional (Nesterov) momentum, step for step torch.optim.SGD.
import { z } from 'zod';
import { defineOptimizerKind } from './define';

export const sgd = defineOptimizerKind({
  kind: 'sgd',
  order: 30,
  description: 'SGD with optional momentum, dampening and Nesterov momentum, as torch.optim.SGD.',
  uses: [],
  weightDecay: 'l2',
  settings: {
    momentum: z.number().min(0).max(1).lt(1).default(0.9).describe('momentum'),
    nesterov: z.boolean().default(false).describe('Nesterov momentum'),
    dampening: z.number().min(0).max(1).default(0).describe('momentum dampening'),
  },
  hot: ['momentum', 'nesterov', 'dampening'],
  // Without momentum torch keeps no buffer; memory estimates of older plans may lack the field.
  slots: (s) => (Number(s.momentum ?? 0) !== 0 ? ['momentum'] : []),
  check: (s) => (s.nesterov && (s.momentum === 0 || s.dampening !== 0) ? [{ field: 'nesterov', message: 'Nesterov needs momentum > 0 and dampening 0' }] : []),
  python: {
    className: 'SgdKind',
    source: String.raw`class SgdKind(Kind):
    """torch.optim.SGD; the engine's momentum slot is its momentum_buffer (none without momentum)."""

    def build(self, named):
        c = self.c
        return torch.optim.SGD(self.decay_groups(named), lr=c["lr"], momentum=c["momentum"], dampening=c["dampening"], nesterov=c["nesterov"])

    def slots(self, name, p):
        return [("momentum", "momentum_buffer")] if self.c["momentum"] != 0 else []

    def restored(self, p, t, state):
        return state if t > 0 else {}  # torch creates the buffer as a copy of the first gradient
`,
  },
});
