// adam: Adam (Kingma & Ba 2015) with L2 weight decay, step for step torch.optim.Adam.
import { defineOptimizerKind } from './define';

export const adam = defineOptimizerKind({
  kind: 'adam',
  order: 20,
  description: 'Adam with L2 weight decay (the decay joins the gradient), as torch.optim.Adam.',
  uses: ['beta1', 'beta2', 'eps'],
  weightDecay: 'l2',
  settings: {},
  hot: [],
  slots: () => ['m', 'v'],
  python: {
    className: 'AdamKind',
    source: String.raw`class AdamKind(Kind):
    """torch.optim.Adam; the engine's m, v are its exp_avg, exp_avg_sq."""
    slot_keys = {"m": "exp_avg", "v": "exp_avg_sq"}
    counts_steps = True

    def build(self, named):
        c = self.c
        return torch.optim.Adam(self.decay_groups(named), lr=c["lr"], betas=(c["beta1"], c["beta2"]), eps=c["eps"])
`,
  },
});
