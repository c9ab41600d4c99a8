// adamw: Adam with decoupled weight decay (Loshchilov & Hutter 2019), step for step torch.optim.AdamW.
import { defineOptimizerKind } from './define';

export const adamw = defineOptimizerKind({
  kind: 'adamw',
  order: 10,
  description: 'Adam with decoupled weight decay (p *= 1 - lr·wd), as torch.optim.AdamW.',
  uses: ['beta1', 'beta2', 'eps'],
  weightDecay: 'decoupled',
  settings: {},
  hot: [],
  slots: () => ['m', 'v'],
  python: {
    className: 'AdamWKind',
    source: String.raw`class AdamWKind(Kind):
    """torch.optim.AdamW; the engine's m, v are its exp_avg, exp_avg_sq."""
    slot_keys = {"m": "exp_avg", "v": "exp_avg_sq"}
    counts_steps = True

    def build(self, named):
        c = self.c
        return torch.optim.AdamW(self.decay_groups(named), lr=c["lr"], betas=(c["beta1"], c["beta2"]), eps=c["eps"])
`,
  },
});
