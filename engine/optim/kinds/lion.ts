// lion: Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms"), written like
// lucidrains/lion-pytorch; torch has no Lion, so the export writes it out.
import { defineOptimizerKind } from './define';

export const lion = defineOptimizerKind({
  kind: 'lion',
  order: 50,
  description: 'Lion: the sign of an interpolated momentum, decoupled weight decay (Chen et al. 2023).',
  uses: ['beta1', 'beta2'],
  weightDecay: 'decoupled',
  settings: {},
  hot: [],
  slots: () => ['m'],
  python: {
    className: 'LionKind',
    source: String.raw`class Lion(torch.optim.Optimizer):
    """Lion: p *= 1 - lr * wd; p -= lr * sign(beta1 * m + (1 - beta1) * g); m = beta2 * m + (1 - beta2) * g."""

    def __init__(self, params, lr, betas, weight_decay):
        super().__init__(params, dict(lr=lr, betas=betas, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            lr, wd = group["lr"], group["weight_decay"]
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad
                state = self.state[p]
                if "exp_avg" not in state:
                    state["exp_avg"] = torch.zeros_like(p)
                m = state["exp_avg"]
                if wd != 0:
                    p.mul_(1 - lr * wd)
                update = (m * beta1).add_(g, alpha=1 - beta1).sign_()
                p.add_(update, alpha=-lr)
                m.mul_(beta2).add_(g, alpha=1 - beta2)


class LionKind(Kind):
    """Lion above; the engine's m slot is its exp_avg."""
    slot_keys = {"m": "exp_avg"}

    def build(self, named):
        c = self.c
        return Lion(self.decay_groups(named), lr=c["lr"], betas=(c["beta1"], c["beta2"]), weight_decay=c["weight_decay"])
`,
  },
});
