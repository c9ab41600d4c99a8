// scheduler: the learning rate for each step (constant, linear, step, cosine, warmup-stable-decay).
import { z } from 'zod';
import type { ScheduleConfig } from '../optim/schedules';
import { appliesTo, defineNode, port } from './define';

/** The schedule kinds: the inspector's select, the engine's and the PyTorch export's switch. */
export const SCHEDULE_KINDS = ['constant', 'linear', 'step', 'cosine', 'wsd'] as const;
export type ScheduleKind = (typeof SCHEDULE_KINDS)[number];

const params = z.object({
  kind: z.enum(SCHEDULE_KINDS).default('cosine').describe('shape of the schedule after warmup'),
  lr: z.number().positive().max(10).default(1e-3).describe('peak learning rate'),
  min_lr: appliesTo(z.number().min(0).max(10).default(1e-4).describe('floor the decay ends at'), ['linear', 'cosine', 'wsd']),
  warmup_steps: z.number().int().min(0).default(100).describe('steps of linear warmup from 0'),
  decay_steps: z.number().int().min(0).default(0).describe('step where decay ends; 0 means the run length'),
  step_size: appliesTo(z.number().int().min(1).default(1000).describe('steps between decays'), ['step']),
  gamma: appliesTo(z.number().positive().max(1).default(0.5).describe('factor applied every step_size steps'), ['step']),
  decay_fraction: appliesTo(z.number().min(0).max(1).default(0.2).describe('final fraction of the run that decays'), ['wsd']),
});

/** The schedule a scheduler node describes, for a run of `totalSteps` steps. */
export function scheduleConfig(p: z.infer<typeof params>, totalSteps: number): ScheduleConfig {
  return {
    kind: p.kind,
    lr: p.lr,
    minLr: p.min_lr,
    warmupSteps: p.warmup_steps,
    totalSteps: p.decay_steps || totalSteps,
    stepSize: p.step_size,
    gamma: p.gamma,
    decayFraction: p.decay_fraction,
  };
}

export const scheduler = defineNode({
  kind: 'scheduler',
  title: 'LR schedule',
  category: 'optimization',
  description: 'Learning rate per step: warmup, then constant, linear, step, cosine or warmup-stable-decay.',
  version: 1,
  inputs: {},
  outputs: { lr: port('LR', 'lr') },
  params,
  hot: ['kind', 'lr', 'min_lr', 'warmup_steps', 'decay_steps', 'step_size', 'gamma', 'decay_fraction'],
  summary: ['kind', 'lr', 'warmup_steps'],
  check(p) {
    return p.min_lr > p.lr ? [{ field: 'min_lr', message: `must not exceed lr (${p.lr})` }] : [];
  },
});

/** A scheduler node's params, defaults filled in. */
export type ScheduleParams = z.infer<typeof params>;
