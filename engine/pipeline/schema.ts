// Pipeline JSON (docs/pipeline-format.md): the document users edit on the canvas, save and share.
// It says what to run; the compiler turns it into a plan (docs/plan-format.md).
import { z } from 'zod';
import { SweepDefinition } from './sweep-definition';

/** The version written by this build. Older documents are upgraded by `migratePipeline`. */
export const PIPELINE_VERSION = 3;

export const NodeId = z
  .string()
  .min(1, 'must not be empty')
  .max(64, 'must be at most 64 characters')
  .regex(/^[A-Za-z0-9_.#:>-]+$/, 'may contain only letters, digits and _ . # : > -');

export const Position = z.object({ x: z.number().finite(), y: z.number().finite() });

export const PipelineNode = z.object({
  id: NodeId,
  /** The node kind, e.g. `get_batch`. */
  type: z.string().min(1).max(64),
  /** Version of the kind's params this node was saved with (see NodeDefinition.migrate). */
  version: z.number().int().positive().optional(),
  params: z.record(z.string(), z.unknown()).default({}),
  position: Position.default({ x: 0, y: 0 }),
});
export type PipelineNode = z.infer<typeof PipelineNode>;

export const PipelineEdge = z.object({
  id: NodeId,
  source: NodeId,
  /** Output port name on the source node. */
  sourceHandle: z.string().min(1).max(64),
  target: NodeId,
  /** Input port name on the target node. */
  targetHandle: z.string().min(1).max(64),
});
export type PipelineEdge = z.infer<typeof PipelineEdge>;

/** A markdown note on the canvas. */
export const PipelineNote = z.object({
  id: NodeId,
  text: z.string().max(20_000),
  position: Position,
  width: z.number().positive().max(4000).optional(),
  height: z.number().positive().max(4000).optional(),
});

/** A named frame around some nodes. */
export const PipelineGroup = z.object({
  id: NodeId,
  title: z.string().max(200),
  nodeIds: z.array(NodeId).max(1000),
  color: z
    .string()
    .regex(/^#[0-9a-fA-F]{6}$/)
    .optional(),
});

export const Training = z.object({
  /** Optimizer steps in the run (the loop length). */
  steps: z.number().int().positive().max(100_000_000).default(1000),
  /** Seeds weight init; get_batch and sample nodes have their own seeds. */
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1)
    .default(1337),
});

export const Pipeline = z.object({
  version: z.literal(PIPELINE_VERSION),
  meta: z
    .object({ name: z.string().max(200).default('Untitled pipeline'), description: z.string().max(20_000).default('') })
    .default({ name: 'Untitled pipeline', description: '' }),
  training: Training.default({ steps: 1000, seed: 1337 }),
  nodes: z.array(PipelineNode).max(1000),
  edges: z.array(PipelineEdge).max(5000),
  notes: z.array(PipelineNote).max(500).default([]),
  groups: z.array(PipelineGroup).max(500).default([]),
  /** A sweep to launch over this pipeline (since version 2). */
  sweep: SweepDefinition.optional(),
});
export type Pipeline = z.infer<typeof Pipeline>;
/** A pipeline as written by hand: fields with defaults may be left out. */
export type PipelineInput = z.input<typeof Pipeline>;
