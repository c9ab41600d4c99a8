// scheduler: how the node runs (its ports and params: engine/nodes/scheduler.ts).
import { implementNode } from '../../nodes/define';
import { scheduleConfig, scheduler } from '../../nodes/scheduler';
import { lrAt } from '../../optim/schedules';

export const schedulerImplementation = implementNode(scheduler, {
  create(p, setup) {
    const schedule = scheduleConfig(p, setup.totalSteps);
    return {
      step(_inputs, ctx) {
        const lr = lrAt(ctx.step, schedule);
        ctx.metric('lr', lr);
        return { lr };
      },
    };
  },
});
