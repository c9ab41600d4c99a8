// log: how the node runs (its ports and params: engine/nodes/log.ts).
import { implementNode } from '../../nodes/define';
import { log } from '../../nodes/log';

export const logImplementation = implementNode(log, {
  create(p) {
    let lines = 0;
    return {
      async afterStep(summary, ctx) {
        const due = summary.step % p.every === 0 || summary.step === ctx.totalSteps || summary.val_loss !== undefined;
        if (!due) return;
        await ctx.io.appendLog(JSON.stringify(summary));
        ctx.metric('lines', ++lines);
      },
    };
  },
});
