// A run's folder on disk, runs/<id>/: status.json (what the runs list shows), events.jsonl (every
// event with its seq, for replay), and what the engine writes itself (pipeline.json, plan.json,
// train_log.jsonl, samples.jsonl, checkpoints/). The folder is the run's whole history: a new
// server on the same runs folder lists it again.
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, open, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import type { RunEvent } from '../../engine/events';
import { executorDefinitionOf } from './executors/registry';
import { writeFileAtomic } from '../../engine/node/atomic-file';
import { isRunId } from './ids';
import { TorchDevice } from './messages';

export const RunState = z.enum(['queued', 'running', 'paused', 'completed', 'stopped', 'failed', 'interrupted']);
export type RunState = z.infer<typeof RunState>;

/** States a run never leaves on its own (it may be resumed from 'stopped' or 'interrupted'). */
export const FINAL_STATES: readonly RunState[] = ['completed', 'stopped', 'failed', 'interrupted'];

/** status.json: one run at a glance. */
export const RunStatus = z.object({
  id: z.string(),
  /** The pipeline's meta.name. */
  name: z.string(),
  state: RunState,
  /**
   * node: tfjs in a worker thread; torch: the PyTorch export in a python (torchrun) process;
   * browser: a Web Worker in a browser tab, which posts the run's events and checkpoints here
   * (engine/executors.ts names them).
   */
  executor: z.string().refine((name) => executorDefinitionOf(name) !== undefined, { message: 'names no executor of this server' }),
  /**
   * node: the tfjs backend asked for (wasm, cpu, tensorflow); torch: torch-cpu, torch-cuda,
   * torch-cudax4 (device x processes); browser: the one asked for (auto, webgpu, …), then the one
   * the tab started (its run/started).
   */
  backend: z.string(),
  /** Torch runs: processes, device, and while it runs the process group (killed if a restarted server finds it alive). */
  torch: z.object({ nproc: z.number().int(), device: TorchDevice, pid: z.number().int().optional() }).optional(),
  /** Optimizer steps completed. */
  step: z.number().int(),
  totalSteps: z.number().int(),
  /** The last step's numbers (loss, lr, grad_norm, tokens_per_sec, step_ms, elapsed_s), the last val_loss, and the best (best_val_loss at best_val_step). */
  metrics: z.record(z.string(), z.number()),
  createdAt: z.string(),
  updatedAt: z.string(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  error: z.object({ message: z.string(), nodeId: z.string().optional(), field: z.string().optional() }).optional(),
  lastCheckpoint: z.string().optional(),
  /** Checkpoint (name in checkpoints/) the next start continues from (set by resuming a stopped or interrupted run). */
  resumeFrom: z.string().optional(),
  /**
   * The checkpoint the run started from: an uploaded one (POST /api/checkpoints) or another run's
   * (`run`); the run's first step is step + 1.
   */
  resumedFrom: z.object({
    upload: z.string().optional(), run: z.string().optional(), name: z.string(), step: z.number().int(), executor: z.string().optional(),
  }).optional(),
  /** The sweep this run is a point of, and the point's values (`{"optimizer.lr": 0.001}`). */
  sweep: z.object({ id: z.string(), values: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])) }).optional(),
  /** A fork: the run and checkpoint it started from, and whether it kept the optimizer's state. */
  parent: z.object({ run: z.string(), checkpoint: z.string(), step: z.number().int(), optimizerState: z.enum(['kept', 'fresh']).optional() }).optional(),
  /** A fork that starts its step counter and schedule at 0 (cleared once it has started). */
  restartSchedule: z.boolean().optional(),
  /**
   * The last resume of a stopped or interrupted run: when (`at`), the checkpoint it continued
   * from (none: from the start) and its step, and the step the run had reached before, so steps
   * step+1 … reached are trained again.
   */
  resumed: z.object({ at: z.string(), checkpoint: z.string().optional(), step: z.number().int(), reached: z.number().int() }).optional(),
  /** Seq of the run's last event (events.jsonl may trail it by a write in progress). */
  lastSeq: z.number().int(),
});
export type RunStatus = z.infer<typeof RunStatus>;

/** An event as stored and sent: the engine's event plus its run and position in the run's stream. */
export type WireEvent = RunEvent & { runId: string; seq: number };

export const STATUS_FILE = 'status.json';
export const EVENTS_FILE = 'events.jsonl';

/**
 * The runs folder.
 * @example
 *   const store = new RunFolders('runs');
 *   for (const id of await store.list()) console.log(await store.readStatus(id));
 */
export class RunFolders {
  constructor(readonly root: string) {}

  dir(id: string): string {
    if (!isRunId(id)) throw new Error(`not a run id: ${JSON.stringify(id)}`);
    return join(this.root, id);
  }

  checkpointsDir(id: string): string {
    return join(this.dir(id), 'checkpoints');
  }

  /** Ids of the run folders present, oldest first (ids sort by time). */
  async list(): Promise<string[]> {
    await mkdir(this.root, { recursive: true });
    return (await readdir(this.root)).filter(isRunId).sort();
  }

  async readStatus(id: string): Promise<RunStatus | undefined> {
    try {
      return RunStatus.parse(JSON.parse(await readFile(join(this.dir(id), STATUS_FILE), 'utf8')));
    } catch {
      return undefined; // not a run folder of ours, or damaged: left out of the list
    }
  }

  /** Replaces status.json atomically (temp file, rename), so a reader never sees half of it. */
  async writeStatus(status: RunStatus): Promise<void> {
    const dir = this.dir(status.id);
    await mkdir(dir, { recursive: true });
    await writeFileAtomic(join(dir, STATUS_FILE), JSON.stringify(status, null, 2) + '\n');
  }

  /** Cuts off a last line of events.jsonl left half-written by a crash; returns the last seq (0: none). */
  repairEvents(id: string): Promise<number> {
    return repairTail(join(this.dir(id), EVENTS_FILE));
  }

  /** Opens events.jsonl for appending (call repairEvents first). */
  appendEvents(id: string): WriteStream {
    return createWriteStream(join(this.dir(id), EVENTS_FILE), { flags: 'a' });
  }

  /** Writes a JSON file into the run folder (pipeline.json, plan.json at submission), atomically. */
  async writeJson(id: string, file: string, value: unknown): Promise<void> {
    await mkdir(this.dir(id), { recursive: true });
    await writeFileAtomic(join(this.dir(id), file), JSON.stringify(value, null, 2) + '\n');
  }

  async readJson(id: string, file: string): Promise<unknown> {
    return JSON.parse(await readFile(join(this.dir(id), file), 'utf8'));
  }

  /**
   * Reads stored events with seq > `after`, in batches, stopping at the first gap or damaged
   * line (what follows is not trusted to be in order).
   */
  async *readEvents(id: string, after: number, batchSize = 2000): AsyncGenerator<WireEvent[]> {
    const path = join(this.dir(id), EVENTS_FILE);
    let lines;
    try {
      lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
    } catch {
      return;
    }
    let expected = after + 1;
    let batch: WireEvent[] = [];
    try {
      for await (const line of lines) {
        const seq = Number(/^\{"seq":(\d+),/.exec(line)?.[1]);
        if (!Number.isInteger(seq)) break;
        if (seq <= after) continue; // skipped without parsing: replays after a reconnect are cheap
        if (seq !== expected) break;
        let event: WireEvent;
        try {
          event = { runId: id, ...JSON.parse(line) } as WireEvent;
        } catch {
          break;
        }
        batch.push(event);
        expected++;
        if (batch.length >= batchSize) {
          yield batch;
          batch = [];
        }
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    } finally {
      lines.close();
    }
    if (batch.length) yield batch;
  }

  /**
   * Drops lines of a JSONL file whose `step` is beyond `step` (train_log.jsonl, samples.jsonl and
   * a torch run's insides.jsonl of a run resumed from an earlier checkpoint, so they read as the
   * uninterrupted run's).
   */
  async keepStepsUpTo(id: string, file: 'train_log.jsonl' | 'samples.jsonl' | 'insides.jsonl', step: number): Promise<void> {
    const path = join(this.dir(id), file);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      return;
    }
    const kept = text.split('\n').filter((line) => {
      if (!line) return false;
      try {
        return (JSON.parse(line) as { step?: number }).step! <= step;
      } catch {
        return false;
      }
    });
    // Atomically: a server killed while resuming must not lose the whole log.
    await writeFileAtomic(path, kept.map((l) => l + '\n').join(''));
  }
}

/** Serialises one event for events.jsonl; `seq` first, so readers can skip lines without parsing them. */
export function eventLine(seq: number, event: RunEvent): string {
  return JSON.stringify({ seq, ...event }) + '\n';
}

/** Truncates a trailing partial line and returns the last complete line's seq (0 when empty). */
async function repairTail(path: string): Promise<number> {
  let handle;
  try {
    handle = await open(path, 'r+');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw e;
  }
  try {
    const { size } = await handle.stat();
    // Usually the last MiB holds the last complete line; read the whole file only if it does not.
    for (const window of [1 << 20, size]) {
      const start = Math.max(0, size - window);
      const bytes = Buffer.alloc(size - start);
      await handle.read(bytes, 0, bytes.length, start);
      // Only a line followed by '\n' is complete; walk back from the last one to one that parses.
      let end = bytes.lastIndexOf(0x0a);
      while (end >= 0) {
        const begin = bytes.lastIndexOf(0x0a, end - 1);
        if (begin < 0 && start > 0) break; // this line starts before the window
        const line = bytes.subarray(begin + 1, end).toString('utf8');
        const seq = Number(/^\{"seq":(\d+),/.exec(line)?.[1]);
        if (Number.isInteger(seq) && isJson(line)) {
          if (start + end + 1 < size) await handle.truncate(start + end + 1);
          return seq;
        }
        end = begin;
      }
      if (start === 0) break;
    }
    if (size > 0) await handle.truncate(0);
    return 0;
  } finally {
    await handle.close();
  }
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
