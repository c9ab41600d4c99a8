// adam's update (definition: ../kinds/adam.ts): L2 decay joins the gradient, as torch.optim.Adam.
import { adamStep } from './adam-step';
import type { OptimizerUpdate } from './define';

export const adamUpdate: OptimizerUpdate = {
  update: (p, g, slots, { lr, wd, t, s }) => adamStep(p, g, slots, { lr, t, beta1: s.beta1, beta2: s.beta2, eps: s.eps, decay: 1, l2: wd }),
};
