// The sweep a pipeline document may carry (`sweep`, since format version 2): one or two axes, each a
// node's param and the values to try. engine/sweep/ expands and checks it.
import { z } from 'zod';

/** Most points one sweep may hold. */
export const MAX_SWEEP_POINTS = 256;
/** Most axes one sweep may have (a grid of two). */
export const MAX_SWEEP_AXES = 2;
/** The pseudo node whose fields are `training.steps` and `training.seed`. */
export const TRAINING_NODE = 'training';
/** Fields of the training pseudo node. */
export const TRAINING_FIELDS = ['steps', 'seed'];

export const SweepValue = z.union([z.number().finite(), z.string().max(200), z.boolean()]);
export type SweepValue = z.infer<typeof SweepValue>;

export const SweepAxis = z
  .object({
    /** A node id of the pipeline, or "training" for training.steps / training.seed. */
    nodeId: z.string().min(1).max(64),
    /** A param of that node (e.g. `lr`). */
    field: z.string().min(1).max(64),
    values: z.array(SweepValue).max(MAX_SWEEP_POINTS),
  })
  .strict();
export type SweepAxis = z.infer<typeof SweepAxis>;

/** A sweep as saved in a pipeline document (`sweep`, pipeline format version 2). */
export const SweepDefinition = z
  .object({
    axes: z.array(SweepAxis).min(1).max(MAX_SWEEP_AXES),
    /** Executor the sweep runs on when launched from the document (default node). */
    executor: z.string().max(32).optional(),
    /** Overrides training.steps for every point. */
    steps: z.number().int().min(1).max(100_000_000).optional(),
  })
  .strict();
export type SweepDefinition = z.infer<typeof SweepDefinition>;
