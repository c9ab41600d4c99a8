// adagrad: Adagrad (Duchi et al. 2011) with L2 weight decay, step for step torch.optim.Adagrad.
import { z } from 'zod';
import { defineOptimizerKind } from './define';

export const adagrad = defineOptimizerKind({
  kind: 'adagrad',
  order: 40,
  description: 'Adagrad (a running sum of squared gradients scales each step), as torch.optim.Adagrad.',
  uses: ['eps'],
  weightDecay: 'l2',
  settings: {
    initial_accumulator: z.number().min(0).default(0).describe('starting sum of squares'),
  },
  hot: [],
  slots: () => ['sum'],
  python: {
    className: 'AdagradKind',
    source: String.raw`class AdagradKind(Kind):
    """torch.optim.Adagrad; the engine's sum slot is its sum, starting at initial_accumulator."""
    slot_keys = {"sum": "sum"}
    counts_steps = True

    def build(self, named):
        c = self.c
        return torch.optim.Adagrad(self.decay_groups(named), lr=c["lr"], eps=c["eps"], initial_accumulator_value=c["initial_accumulator"])

    def initial(self, slot):
        return self.c["initial_accumulator"]
`,
  },
});
