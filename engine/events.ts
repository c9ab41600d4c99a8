// The event stream contract (docs/events.md): what a run reports, whoever runs it.
// The same objects go to the CLI's progress line, train_log.jsonl, the socket and tests.
import { z } from 'zod';

// Version 2 added `run/edited` (live edits).
export const EVENTS_VERSION = 2;

/** Standard per-step numbers; the names match train_log.jsonl (and nanoGPT where it has them). */
export const StepData = z.object({
  loss: z.number(),
  lr: z.number().optional(),
  grad_norm: z.number().optional(),
  tokens_per_sec: z.number(),
  step_ms: z.number(),
  elapsed_s: z.number(),
});
export type StepData = z.infer<typeof StepData>;

export const RunEvent = z.discriminatedUnion('type', [
  /** The plan is set up and the loop is about to start (at `step`, > 0 when resuming). */
  z.object({
    type: z.literal('run/started'),
    step: z.number().int(),
    data: z.object({
      totalSteps: z.number().int(),
      backend: z.string(),
      /** What runs the matmuls when not the backend itself, e.g. "OpenBLAS 0.3.21 SkylakeX, 1 thread". */
      matmul: z.string().optional(),
      parameters: z.number().int(),
      tokensPerStep: z.number().int(),
      resumedFrom: z.string().optional(),
    }),
  }),
  /**
   * A live edit took effect before step `step + 1`: every field of `changes` went from old to new
   * at once. `replayed`: a resumed run applying an edit of its history again, at the same step.
   */
  z.object({
    type: z.literal('run/edited'),
    nodeId: z.string(),
    step: z.number().int(),
    data: z.object({
      changes: z.record(z.string(), z.tuple([z.unknown(), z.unknown()])),
      replayed: z.boolean().optional(),
    }),
  }),
  /** Live numbers of one node for one step (loss on the loss node, lr on the optimizer, ...). */
  z.object({
    type: z.literal('node/metrics'),
    nodeId: z.string(),
    step: z.number().int(),
    data: z.record(z.string(), z.number()),
  }),
  /** One finished optimizer step, summarised (what train_log.jsonl records). */
  z.object({ type: z.literal('step'), step: z.number().int(), data: StepData }),
  z.object({
    type: z.literal('eval'),
    nodeId: z.string(),
    step: z.number().int(),
    data: z.object({ val_loss: z.number(), batches: z.number().int() }),
  }),
  z.object({
    type: z.literal('checkpoint/saved'),
    nodeId: z.string(),
    step: z.number().int(),
    data: z.object({ name: z.string(), bytes: z.number().int(), removed: z.array(z.string()) }),
  }),
  z.object({
    type: z.literal('sample'),
    nodeId: z.string(),
    step: z.number().int(),
    data: z.object({ text: z.string(), tokens: z.number().int() }),
  }),
  /** Something a node wants the user to see that is not an error (e.g. "W&B disabled: no key"). */
  z.object({
    type: z.literal('node/notice'),
    nodeId: z.string(),
    step: z.number().int().optional(),
    data: z.object({ message: z.string() }),
  }),
  /** A runtime error, addressed to the node that raised it when known. */
  z.object({
    type: z.literal('error'),
    nodeId: z.string().optional(),
    step: z.number().int().optional(),
    data: z.object({ message: z.string(), field: z.string().optional() }),
  }),
  z.object({
    type: z.literal('run/finished'),
    step: z.number().int(),
    data: z.object({
      status: z.enum(['completed', 'stopped', 'failed']),
      elapsed_s: z.number(),
      lastCheckpoint: z.string().optional(),
    }),
  }),
]);
export type RunEvent = z.infer<typeof RunEvent>;
export type RunEventType = RunEvent['type'];

/** Where a run sends its events. */
export interface EventSink {
  emit(event: RunEvent): void;
}

/** Collects events in memory (tests, replays). */
export function collectEvents(): EventSink & { events: RunEvent[] } {
  const events: RunEvent[] = [];
  return { events, emit: (e) => void events.push(e) };
}
