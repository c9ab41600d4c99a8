// The runs the server knows and their statuses: how a run's events move its status (step, metrics,
// backend, last checkpoint), and how each change reaches status.json and the status listeners (the
// `runs` broadcast): a state change at once, progress at most once per PROGRESS_MS.
import type { RunEvent } from '../../engine/events';
import { executorDefinitionOf } from './executors/registry';
import type { ActiveRun } from './execution';
import { RunActionError } from './refusals';
import { isCheckpointName } from './resume-point';
import type { RunState, RunStatus, RunFolders } from './run-folders';

export interface RunRecord {
  status: RunStatus;
  /** While a worker thread or PyTorch processes train it. */
  active?: ActiveRun;
  /** Status writes, one after another (each replaces status.json). */
  saving: Promise<void>;
  saveTimer?: ReturnType<typeof setTimeout>;
}

/** How often progress (step, metrics) reaches status.json and the `runs` broadcast. */
const PROGRESS_MS = 1000;

export class RunRecords {
  private runs = new Map<string, RunRecord>();
  private listeners = new Set<(status: RunStatus) => void>();

  constructor(private readonly store: RunFolders) {}

  /** Adds a run (nothing is saved or announced until its first change). */
  add(status: RunStatus): RunRecord {
    const record: RunRecord = { status, saving: Promise.resolve() };
    this.runs.set(status.id, record);
    return record;
  }

  get(id: string): RunRecord | undefined {
    return this.runs.get(id);
  }

  has(id: string): boolean {
    return this.runs.has(id);
  }

  /** The run `id`; refused with 404 when there is none. */
  require(id: string): RunRecord {
    const record = this.runs.get(id);
    if (!record) throw new RunActionError(404, `no run ${id}`);
    return record;
  }

  all(): RunRecord[] {
    return [...this.runs.values()];
  }

  /** Newest first. */
  list(): RunStatus[] {
    return this.all().map((r) => r.status).sort((a, b) => (a.id < b.id ? 1 : -1));
  }

  /** Listens to status changes and progress (at most about once a second per run). */
  onStatus(listener: (status: RunStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Records a state change: status.json now, listeners now. */
  setState(record: RunRecord, state: RunState, extra: Partial<RunStatus> = {}): void {
    Object.assign(record.status, extra, { state });
    if (record.saveTimer) clearTimeout(record.saveTimer);
    record.saveTimer = undefined;
    this.save(record);
  }

  /** Progress (step, metrics): saved and announced at most once per PROGRESS_MS. */
  progress(record: RunRecord): void {
    record.saveTimer ??= setTimeout(() => {
      record.saveTimer = undefined;
      this.save(record);
    }, PROGRESS_MS);
  }

  /** Saves and announces the status as it is now. */
  save(record: RunRecord): void {
    record.status.updatedAt = now();
    const snapshot = { ...record.status };
    for (const listener of this.listeners) listener(snapshot);
    record.saving = record.saving.then(() => this.store.writeStatus(snapshot)).catch((e: Error) => {
      console.error(`run ${snapshot.id}: cannot write status.json: ${e.message}`);
    });
  }

  /** The server is closing: progress not yet saved stays unsaved; waits for the writes under way. */
  async flush(): Promise<void> {
    for (const record of this.runs.values()) {
      if (record.saveTimer) clearTimeout(record.saveTimer);
      record.saveTimer = undefined;
    }
    await Promise.all([...this.runs.values()].map((r) => r.saving));
  }
}

/** Updates a run's status from one of its events, whichever executor sent it. */
export function observe(status: RunStatus, event: RunEvent): void {
  switch (event.type) {
    case 'run/started':
      status.totalSteps = event.data.totalSteps;
      status.step = event.step;
      // torch-cpu, torch-cudax8: what train.py found; webgpu, wasm: what the tab started.
      if (executorDefinitionOf(status.executor)?.statusBackend === 'started') status.backend = event.data.backend;
      break;
    case 'step':
      status.step = event.step;
      status.metrics = { ...event.data, ...pick(status.metrics, ['val_loss', 'best_val_loss', 'best_val_step']) };
      break;
    case 'eval': {
      // The best so far too, so a runs list can rank runs without reading their logs.
      const best = status.metrics.best_val_loss;
      const better = best === undefined || event.data.val_loss < best;
      status.metrics = { ...status.metrics, val_loss: event.data.val_loss, ...(better ? { best_val_loss: event.data.val_loss, best_val_step: event.step } : {}) };
      break;
    }
    case 'checkpoint/saved':
      // A browser run's tab names it: only a checkpoint name may stand here (links are built from it).
      if (isCheckpointName(event.data.name)) status.lastCheckpoint = event.data.name;
      break;
    case 'run/edited':
      if (event.nodeId === 'training' && typeof event.data.changes.steps?.[1] === 'number') status.totalSteps = event.data.changes.steps[1];
      break;
    case 'error':
      status.error = { message: event.data.message, ...(event.nodeId ? { nodeId: event.nodeId } : {}), ...(event.data.field ? { field: event.data.field } : {}) };
      break;
  }
}

/** The time a status records (createdAt, startedAt, finishedAt, updatedAt). */
export function now(): string {
  return new Date().toISOString();
}

/** The entries of `metrics` named in `keys` that it has. */
function pick(metrics: Record<string, number>, keys: string[]): Record<string, number> {
  return Object.fromEntries(keys.filter((k) => metrics[k] !== undefined).map((k) => [k, metrics[k]]));
}
