// What crosses the boundary between the server's main thread and a run's worker thread.
// Both directions are validated with zod where they enter: workerData and messages are plain
// structured-clone data, so a bug on one side shows up as a clear error, not a silent undefined.
import { z } from 'zod';
import { RunEvent } from '../../engine/events';

/** A live edit that took effect (engine/runtime/edits.ts EditRecord). */
export const EditRecordSchema = z.object({
  step: z.number().int().min(0),
  nodeId: z.string(),
  changes: z.record(z.string(), z.tuple([z.unknown(), z.unknown()])),
});

/** What applying an edit came to (engine/runtime/run-edits.ts EditOutcome). */
export const EditOutcomeSchema = z.union([
  z.object({ appliedAtStep: z.number().int() }),
  z.object({
    status: z.union([z.literal(400), z.literal(409)]), error: z.string(),
    errors: z.array(z.object({ nodeId: z.string(), field: z.string().optional(), message: z.string() })),
  }),
]);

/** tfjs backends a Node worker can start (see engine/tf/backend.ts). */
export const NodeBackend = z.enum(['wasm', 'cpu', 'tensorflow']);
export type NodeBackend = z.infer<typeof NodeBackend>;

/** Where a torch run trains: auto lets train.py pick (CUDA when PyTorch sees a GPU). */
export const TorchDevice = z.enum(['auto', 'cpu', 'cuda']);
export type TorchDevice = z.infer<typeof TorchDevice>;

/**
 * Pause and stop travel through shared memory, not messages: a worker busy in a long step does
 * not read its message queue, but it reads this flag before every step.
 */
export const CONTROL = { run: 0, pause: 1, stop: 2 } as const;

/** The worker's start order (workerData). */
export const WorkerStart = z.object({
  runId: z.string(),
  /** The pipeline document, already compiled once by the main thread (steps override applied). */
  pipeline: z.unknown(),
  outDir: z.string(),
  dataDir: z.string(),
  backend: NodeBackend,
  /** Checkpoint path to continue from (an interrupted run resumed). */
  resume: z.string().optional(),
  /** The run's live-edit history (runs/<id>/edits.jsonl), replayed from the resumed step. */
  edits: z.array(EditRecordSchema).default([]),
  /** A fork that restarts its step counter and schedule at 0. */
  restartSchedule: z.boolean().optional(),
  /** Int32Array[2] over this buffer: [0] CONTROL.run | pause | stop; [1] commands posted so far (the worker reads them between steps). */
  control: z.instanceof(SharedArrayBuffer),
});
export type WorkerStart = z.infer<typeof WorkerStart>;

/** Commands the main thread posts to a worker; each also bumps the control buffer's counter. */
export const WorkerCommand = z.discriminatedUnion('type', [
  z.object({ type: z.literal('run/edit'), id: z.number().int(), nodeId: z.string(), params: z.record(z.string(), z.unknown()) }),
  z.object({
    type: z.literal('run/sample'), id: z.number().int(), prompt: z.string(), maxNewTokens: z.number().int(),
    temperature: z.number().optional(), topK: z.number().int().optional(),
  }),
]);
export type WorkerCommand = z.infer<typeof WorkerCommand>;

/** Messages a worker posts to the main thread. */
export const WorkerMessage = z.discriminatedUnion('type', [
  /** Events in the order the run emitted them; the main thread numbers them. */
  z.object({ type: z.literal('run/events'), events: z.array(RunEvent) }),
  /** trainPipeline returned: the run ended (its run/finished event was sent before this). */
  z.object({
    type: z.literal('run/ended'),
    status: z.enum(['completed', 'stopped', 'failed']),
    step: z.number().int(),
    error: z.object({ message: z.string(), nodeId: z.string().optional() }).optional(),
    lastCheckpoint: z.string().optional(),
  }),
  /** The pipeline did not compile in the worker (the main thread checked it, so this is rare). */
  z.object({
    type: z.literal('run/rejected'),
    errors: z.array(z.object({ nodeId: z.string().optional(), field: z.string().optional(), message: z.string() })),
  }),
  /** The answer to a run/edit command. */
  z.object({ type: z.literal('run/edit-result'), id: z.number().int(), outcome: EditOutcomeSchema }),
  /** The answer to a run/sample command: the text, or why there is none. */
  z.object({ type: z.literal('run/sample-result'), id: z.number().int(), text: z.string().optional(), step: z.number().int().optional(), error: z.string().optional() }),
  /** trainPipeline threw before or outside the loop (backend failed to start, unreadable checkpoint). */
  z.object({ type: z.literal('run/crashed'), message: z.string() }),
]);
export type WorkerMessage = z.infer<typeof WorkerMessage>;
