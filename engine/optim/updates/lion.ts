// lion's update (definition: ../kinds/lion.ts), written like lucidrains/lion-pytorch.
import type { OptimizerUpdate } from './define';

export const lionUpdate: OptimizerUpdate = {
  update: (p, g, { m }, { lr, wd, s }) => {
    const decayed = wd !== 0 ? p.mul(1 - lr * wd) : p; // decoupled, before the update, as torch does
    // The step is the sign of an interpolation with beta1; the momentum itself decays with beta2.
    const update = m
      .mul(s.beta1)
      .add(g.mul(1 - s.beta1))
      .sign();
    p.assign(decayed.sub(update.mul(lr)));
    m.assign(m.mul(s.beta2).add(g.mul(1 - s.beta2)));
  },
};
