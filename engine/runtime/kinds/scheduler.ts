// scheduler: how the node runs (its ports and params: engine/nodes/scheduler.ts).
import { implementNode } from '../../nodes/define';
import { scheduleConfig, scheduler } from '../../nodes/scheduler';
import { lrAt } from '../../optim/schedules';

export const schedulerImplementation = implementNode(scheduler, {
  // The schedule is read each step: its params and the run length may be edited while it trains.
  create(p) {
    return {
      step(_inputs, ctx) {
        const lr = lrAt(ctx.step, scheduleConfig(p, ctx.totalSteps));
        ctx.metric('lr', lr);
        return { lr };
      },
    };
  },
});
