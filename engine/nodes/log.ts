// log: writes train_log.jsonl, one JSON object per logged step (step, loss, lr, grad_norm,
// tokens_per_sec, step_ms, elapsed_s); steps where an eval ran also carry val_loss.
// With `wandb` on, a Node host also streams the same lines to Weights & Biases (engine/node/wandb.ts
// reads these params and the run's events; the node itself stays browser-safe).
import { z } from 'zod';
import { defineNode, port } from './define';

export const log = defineNode({
  kind: 'log',
  title: 'Train log',
  category: 'outputs',
  description: "Appends the step's numbers to train_log.jsonl every N steps (and every eval).",
  version: 2,
  // Version 2 added the W&B params; their defaults (off) keep version-1 pipelines as they were.
  migrate: (params) => params,
  inputs: { loss: port('Loss', 'loss') },
  outputs: {},
  params: z.object({
    every: z.number().int().min(1).default(10).describe('steps between log lines'),
    wandb: z.boolean().default(false).describe('also stream the logged numbers to Weights & Biases (needs WANDB_API_KEY on the server)'),
    wandb_project: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[^/\\#?%:]+$/, 'no / \\ # ? % :')
      .default('pretrain-studio')
      .describe('W&B project the run goes to'),
    wandb_run_name: z.string().max(128).default('').describe('W&B display name; empty uses the pipeline name'),
  }),
  hot: ['every'],
  summary: ['every', 'wandb'],
});
