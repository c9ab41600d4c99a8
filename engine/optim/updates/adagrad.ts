// adagrad's update (definition: ../kinds/adagrad.ts), as torch.optim.Adagrad; lr_decay (engine
// only) divides the lr by 1 + (t - 1) * lr_decay at the param's t-th step.
import type { OptimizerUpdate } from './define';
import { withL2 } from './l2';

export const adagradUpdate: OptimizerUpdate = {
  update: (p, g, { sum }, { lr, wd, t, s }) => {
    const d = withL2(p, g, wd);
    const clr = lr / (1 + (t - 1) * (s.lr_decay ?? 0));
    sum.assign(sum.add(d.square()));
    p.assign(p.sub(d.div(sum.sqrt().add(s.eps)).mul(clr)));
  },
  initialSlot: (s) => s.initial_accumulator,
  check: (s, fail) => {
    if (!(s.initial_accumulator >= 0)) fail('initial_accumulator', `must be >= 0, got ${s.initial_accumulator}`);
    if (!((s.lr_decay ?? 0) >= 0)) fail('lr_decay', `must be >= 0, got ${s.lr_decay}`);
  },
};
