// The event stream contract (docs/events.md): what a run reports, whoever runs it.
// The same objects go to the CLI's progress line, train_log.jsonl, the socket and tests.
import { z } from 'zod';

// Version 2 added `run/edited` (live edits); version 3 `model/insides` (per-layer numbers inside the model).
export const EVENTS_VERSION = 3;

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

/** Layers a `model/insides` event may describe (a bound on what a posted event may carry). */
export const MAX_INSIDE_LAYERS = 1024;

/** Per-layer numbers of one inner node; a non-finite value is written as null. */
const LayerNumbers = z.array(z.number().nullable()).max(MAX_INSIDE_LAYERS);

/**
 * The numbers of one inner node of the model at one step: one entry per layer for the nodes
 * inside the repeated block, exactly one for model-level nodes (wte, wpe, norm_f, lm_head).
 */
export const InsideNumbers = z.object({
  /** sqrt(mean(out²)) of the node's output, in the training forward of the step's first micro-batch. */
  act_rms: LayerNumbers.optional(),
  /** L2 norm of the gradient of the node's own parameters, as the optimizer receives it, before clipping. */
  grad_norm: LayerNumbers.optional(),
  /** attn only: mean entropy (nats) of the causal attention weights over batch, heads and queries. */
  attn_entropy: LayerNumbers.optional(),
});
export type InsideNumbers = z.infer<typeof InsideNumbers>;

/** What `model/insides` carries: the number of layers and the numbers by inner node id. */
export const InsidesData = z.object({
  layers: z.number().int().min(0).max(MAX_INSIDE_LAYERS),
  blocks: z.record(z.string().max(128), InsideNumbers),
});
export type InsidesData = z.infer<typeof InsidesData>;

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
  /**
   * A live edit the run could not take when it reached it (a torch run's train.py checks edits
   * itself: e.g. training.steps no longer above the steps done); the run goes on unchanged.
   */
  z.object({
    type: z.literal('run/edit-refused'),
    nodeId: z.string(),
    step: z.number().int(),
    data: z.object({ message: z.string().max(2000), field: z.string().optional() }),
  }),
  /** Live numbers of one node for one step (loss on the loss node, lr on the optimizer, ...). */
  z.object({
    type: z.literal('node/metrics'),
    nodeId: z.string(),
    step: z.number().int(),
    data: z.record(z.string(), z.number()),
  }),
  /**
   * Per-layer numbers inside a model node (its `inspect_every`): emitted in step `step` after the
   * step's eval/sample/checkpoint events and before its `node/metrics` and `step`.
   */
  z.object({
    type: z.literal('model/insides'),
    nodeId: z.string(),
    step: z.number().int(),
    data: InsidesData,
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
