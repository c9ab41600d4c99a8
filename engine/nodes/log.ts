// log: writes train_log.jsonl, one JSON object per logged step (step, loss, lr, grad_norm,
// tokens_per_sec, step_ms, elapsed_s); steps where an eval ran also carry val_loss.
import { z } from 'zod';
import { defineNode, port } from './define';

export const log = defineNode({
  kind: 'log',
  title: 'Train log',
  category: 'outputs',
  description: 'Appends the step\'s numbers to train_log.jsonl every N steps (and every eval).',
  version: 1,
  inputs: { loss: port('Loss', 'loss') },
  outputs: {},
  params: z.object({
    every: z.number().int().min(1).default(10).describe('steps between log lines'),
  }),
  summary: ['every'],
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
