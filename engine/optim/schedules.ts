// Learning-rate schedules as pure functions of the optimizer step (no tfjs).
// Cosine is nanoGPT's get_lr; the others reproduce torch.optim.lr_scheduler chains (LinearLR,
// StepLR, CosineAnnealingLR, SequentialLR), checked in fixtures/make_optim_fixtures.py.

// The kinds are declared once, in the node's schema (engine/nodes/scheduler.ts).
import type { ScheduleKind } from '../nodes/scheduler';
export type { ScheduleKind };

export interface ScheduleConfig {
  kind: ScheduleKind;
  lr: number; // peak learning rate, reached at the end of warmup
  minLr: number; // floor for linear, cosine and wsd: reached at totalSteps and held after (unused by constant, step)
  warmupSteps: number; // optimizer steps of linear warmup before the schedule proper (0: none)
  totalSteps: number; // step at which linear, cosine and wsd reach minLr (counts the warmup steps)
  stepSize: number; // 'step': steps between drops, counted from the end of warmup
  gamma: number; // 'step': factor applied at each drop: lr * gamma^floor((s - warmupSteps) / stepSize)
  decayFraction: number; // 'wsd': the last decayFraction * totalSteps steps decay linearly to minLr
}

/**
 * Learning rate for the 0-based optimizer step `step` (the lr to use for the update that makes
 * `stepCount` go from step to step + 1).
 *
 * Warmup follows build-nanogpt / llm.c: `lr * (step + 1) / warmupSteps`, so step 0 already moves
 * (lr / warmupSteps, not 0) and step warmupSteps - 1 reaches the full lr. (nanoGPT's train.py has
 * used both `it / warmup_iters` and `(it + 1) / (warmup_iters + 1)` over time.) It equals torch's
 * LinearLR(start_factor=1/W, end_factor=1, total_iters=W-1).
 * @example
 *   const c = { kind: 'cosine', lr: 6e-4, minLr: 6e-5, warmupSteps: 10, totalSteps: 100,
 *               stepSize: 0, gamma: 1, decayFraction: 0 } as const;
 *   lrAt(0, c);   // 6e-5    (warmup: 1/10 of lr)
 *   lrAt(9, c);   // 6e-4    (end of warmup)
 *   lrAt(55, c);  // 3.3e-4  (halfway down the cosine)
 *   lrAt(100, c); // 6e-5    (minLr from here on)
 */
export function lrAt(step: number, c: ScheduleConfig): number {
  if (!Number.isInteger(step) || step < 0) throw new RangeError(`lrAt: step must be an integer >= 0, got ${step}`);
  const { lr, minLr, warmupSteps: warm, totalSteps: total } = c;

  // 1) linear warmup, every kind
  if (step < warm) return (lr * (step + 1)) / warm;

  // 2) after warmup, the kinds without an end: constant and step decay
  if (c.kind === 'constant') return lr;
  if (c.kind === 'step') {
    if (!(c.stepSize > 0)) throw new RangeError(`lrAt: 'step' schedule needs stepSize > 0, got ${c.stepSize}`);
    return lr * c.gamma ** Math.floor((step - warm) / c.stepSize);
  }

  // 3) the decaying kinds hold minLr from totalSteps on (also covers totalSteps <= warmupSteps)
  if (step >= total) return minLr;

  // 4) decay from lr at the end of warmup to minLr at totalSteps
  const progress = (step - warm) / (total - warm); // 0 at the end of warmup, -> 1 at totalSteps
  switch (c.kind) {
    case 'linear':
      return lr + (minLr - lr) * progress;
    case 'cosine':
      return minLr + 0.5 * (1 + Math.cos(Math.PI * progress)) * (lr - minLr);
    case 'wsd': {
      // warmup-stable-decay: hold lr, then decay linearly over the last decayFraction of totalSteps.
      const decayStart = Math.max(warm, total - Math.round(c.decayFraction * total));
      if (step < decayStart) return lr;
      return lr + ((minLr - lr) * (step - decayStart)) / (total - decayStart);
    }
    default:
      throw new Error(`lrAt: unknown schedule kind ${(c as { kind: string }).kind}`);
  }
}
