// adamw's update (definition: ../kinds/adamw.ts): decoupled decay multiplies p first, 1 - lr*wd.
import { adamStep } from './adam-step';
import type { OptimizerUpdate } from './define';

export const adamwUpdate: OptimizerUpdate = {
  update: (p, g, slots, { lr, wd, t, s }) => adamStep(p, g, slots, { lr, t, beta1: s.beta1, beta2: s.beta2, eps: s.eps, decay: 1 - lr * wd, l2: 0 }),
};
