// What crosses the boundary between the server's main thread and a run's worker thread.
// Both directions are validated with zod where they enter: workerData and messages are plain
// structured-clone data, so a bug on one side shows up as a clear error, not a silent undefined.
import { z } from 'zod';
import { RunEvent } from '../../engine/events';

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
  /** Int32Array[1] over this buffer: CONTROL.run | pause | stop. */
  control: z.instanceof(SharedArrayBuffer),
});
export type WorkerStart = z.infer<typeof WorkerStart>;

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
  /** trainPipeline threw before or outside the loop (backend failed to start, unreadable checkpoint). */
  z.object({ type: z.literal('run/crashed'), message: z.string() }),
]);
export type WorkerMessage = z.infer<typeof WorkerMessage>;
