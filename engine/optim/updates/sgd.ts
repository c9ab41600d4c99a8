// sgd's update (definition: ../kinds/sgd.ts), as torch.optim.SGD.
import type { OptimizerUpdate } from './define';
import { withL2 } from './l2';

export const sgdUpdate: OptimizerUpdate = {
  update: (p, g, slots, { lr, wd, t, s }) => {
    let d = withL2(p, g, wd);
    if (s.momentum !== 0) {
      const buf = slots.momentum;
      // torch starts the buffer as a copy of the first gradient, without dampening.
      buf.assign(t === 1 ? d : buf.mul(s.momentum).add(d.mul(1 - s.dampening)));
      d = s.nesterov ? d.add(buf.mul(s.momentum)) : buf;
    }
    p.assign(p.sub(d.mul(lr)));
  },
  check: (s, fail) => {
    if (!(s.momentum >= 0)) fail('momentum', `must be >= 0, got ${s.momentum}`);
    if (s.nesterov && (s.momentum <= 0 || s.dampening !== 0)) fail('nesterov', 'needs momentum > 0 and dampening 0');
  },
};
