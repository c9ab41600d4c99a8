// Runs training on this server, whichever executor trains them: a node run's worker thread (here)
// or a torch run's PyTorch processes (TorchRun, torch.ts). A run given a training slot is started,
// its executor's messages become its numbered events (events.jsonl, then the hub) and its status,
// and when it ends, fails or the server closes, its slot is released.
import type { WriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RunEvent } from '../../engine/events';
import type { Plan } from '../../engine/plan';
import { CONTROL, NodeBackend, WorkerMessage, type WorkerStart } from './messages';
import { now, observe, type RunRecord, type RunRecords } from './records';
import { spawnRunWorker } from './spawn';
import { eventLine, type RunState, type RunStore, type WireEvent } from './store';
import type { EventHub } from './stream';
import { TorchRun } from './torch';

/** A run in progress, whichever executor trains it: what the manager can ask of it. */
export interface Execution {
  pause(): void;
  resume(): void;
  stop(): void;
  /** Ends it now (the run has ended, or the server is closing). */
  terminate(): Promise<void>;
}

export interface ActiveRun {
  execution: Execution;
  /** Appends to the run's events.jsonl. */
  writer: WriteStream;
  ended: boolean;
}

/** What running runs needs of the server: its runs, their folders and streams, the executors' settings. */
export interface ExecutionContext {
  runs: Pick<RunRecords, 'all' | 'setState' | 'progress' | 'save'>;
  store: Pick<RunStore, 'dir' | 'checkpointsDir' | 'readJson' | 'appendEvents'>;
  hub: Pick<EventHub, 'publish' | 'settle'>;
  /** Where bundled corpora are prepared. */
  dataDir: string;
  /** Environment of the worker threads and PyTorch processes. Default: this process's. */
  workerEnv?: NodeJS.ProcessEnv;
  python: string;
  torchStopGraceMs: number;
  torchPollMs: number;
  /** Whether the server is closing: a run not yet started stays queued for the next server. */
  closing(): boolean;
  /** The run's training slot is free again: it ended, could not start, or waits for the next server. */
  release(id: string): void;
}

export class RunExecutions {
  constructor(private readonly context: ExecutionContext) {}

  /** Starts a run that holds a training slot; a run that cannot start fails. */
  start(record: RunRecord): void {
    const starting = record.status.executor === 'torch' ? this.startTorch(record) : this.startNode(record);
    starting.catch((e: Error) => {
      if (record.active) return this.crash(record, `could not start: ${e.message}`);
      record.status.error = { message: `could not start: ${e.message}` };
      this.context.runs.setState(record, 'failed', { finishedAt: now() });
      this.context.release(record.status.id);
    });
  }

  /** The server is closing: every run training ends now and becomes interrupted, resumable later. */
  async interruptAll(): Promise<void> {
    const { runs, hub } = this.context;
    const active = runs.all().filter((r) => r.active && !r.active.ended);
    await Promise.all(active.map(async (record) => {
      record.active!.ended = true;
      await record.active!.execution.terminate();
      await closeWriter(record.active!.writer);
      hub.settle(record.status.id);
      record.active = undefined;
      runs.setState(record, 'interrupted', { finishedAt: now() });
    }));
  }

  /** A node run: the training loop in a worker thread. */
  private async startNode(record: RunRecord): Promise<void> {
    const { store, dataDir } = this.context;
    const { id } = record.status;
    const pipeline = await store.readJson(id, 'pipeline.json');
    if (this.context.closing()) return this.context.release(id); // still queued: the next server starts it
    const start = {
      runId: id, pipeline, outDir: store.dir(id), dataDir: resolve(dataDir),
      backend: NodeBackend.parse(record.status.backend), ...(record.status.resumeFrom ? { resume: join(store.checkpointsDir(id), record.status.resumeFrom) } : {}),
    };
    const execution: Execution = startWorker(start, this.context.workerEnv, {
      message: (message) => this.handle(record, message),
      failed: (reason) => this.crash(record, reason),
      exited: (code) => {
        if (record.active?.execution === execution && !record.active.ended) this.crash(record, `worker exited (code ${code}) before the run ended`);
      },
    });
    this.activate(record, execution);
  }

  /** A torch run: export, launch and tail (torch.ts); its messages are a worker's. */
  private async startTorch(record: RunRecord): Promise<void> {
    const { store, runs } = this.context;
    const { id } = record.status;
    const plan = (await store.readJson(id, 'plan.json')) as Plan;
    if (this.context.closing()) return this.context.release(id);
    const settings = record.status.torch ?? { nproc: 1, device: 'auto' as const };
    const execution = new TorchRun({
      runId: id, runDir: store.dir(id), plan, dataDir: resolve(this.context.dataDir), nproc: settings.nproc, device: settings.device,
      ...(record.status.resumeFrom ? { resume: join(store.checkpointsDir(id), record.status.resumeFrom) } : {}),
      startStep: record.status.step, python: this.context.python, env: this.context.workerEnv ?? process.env,
      stopGraceMs: this.context.torchStopGraceMs, pollMs: this.context.torchPollMs,
      onMessage: (message) => {
        if (record.active?.execution === execution) this.handle(record, message);
      },
      onLaunched: (pid) => {
        if (record.active?.execution !== execution || record.active.ended) return;
        record.status.torch = { ...settings, pid };
        runs.save(record); // the pid reaches status.json now: a server that dies leaves it for the next to clean up
      },
    });
    this.activate(record, execution);
    execution.start();
  }

  private activate(record: RunRecord, execution: Execution): void {
    record.active = { execution, writer: this.context.store.appendEvents(record.status.id), ended: false };
    record.status.startedAt ??= now(); // a resumed run keeps its first start (status.resumed.at is the later one)
    this.context.runs.setState(record, 'running');
  }

  private handle(record: RunRecord, message: WorkerMessage): void {
    const active = record.active;
    if (!active || active.ended) return;
    switch (message.type) {
      case 'run/events':
        this.append(record, message.events);
        break;
      case 'run/ended':
        record.status.step = message.step;
        if (message.lastCheckpoint) record.status.lastCheckpoint = message.lastCheckpoint;
        if (message.error) record.status.error = { ...record.status.error, ...message.error };
        void this.finish(record, message.status);
        break;
      case 'run/rejected':
        record.status.error = { message: message.errors.map((e) => `${e.nodeId ?? 'pipeline'}${e.field ? `.${e.field}` : ''}: ${e.message}`).join('; ') };
        void this.finish(record, 'failed');
        break;
      case 'run/crashed':
        this.crash(record, message.message);
        break;
    }
  }

  /** Numbers events, updates the status from them, stores them, then publishes them. */
  private append(record: RunRecord, events: RunEvent[]): void {
    const { status } = record;
    const wire: WireEvent[] = [];
    let lines = '';
    for (const event of events) {
      const seq = ++status.lastSeq;
      lines += eventLine(seq, event);
      wire.push({ runId: status.id, seq, ...event });
      observe(status, event);
    }
    // Published once the OS has the bytes: a watcher never sees an event history would lack.
    record.active!.writer.write(lines, () => this.context.hub.publish(status.id, wire));
    this.context.runs.progress(record);
  }

  /** A worker that died without ending its run: report it in the stream too, so watchers see the end. */
  private crash(record: RunRecord, message: string): void {
    const active = record.active;
    if (!active || active.ended) return;
    const { status } = record;
    this.append(record, [
      { type: 'error', step: status.step, data: { message } },
      { type: 'run/finished', step: status.step, data: { status: 'failed', elapsed_s: status.metrics.elapsed_s ?? 0 } },
    ]);
    status.error = { message };
    void this.finish(record, 'failed');
  }

  private async finish(record: RunRecord, state: RunState): Promise<void> {
    const active = record.active!;
    active.ended = true;
    await closeWriter(active.writer);
    // Every event is on disk now (the writer called back for each): late watchers read the file.
    this.context.hub.settle(record.status.id);
    await active.execution.terminate();
    record.active = undefined;
    if (record.status.torch) record.status.torch = { ...record.status.torch, pid: undefined };
    this.context.runs.setState(record, state, { finishedAt: now(), resumeFrom: undefined });
    this.context.release(record.status.id);
  }
}

/** What a run's worker thread reports. */
interface WorkerListeners {
  /** A message of the run, checked. */
  message(message: WorkerMessage): void;
  /** The worker failed or sent what is not a message: the run has crashed. */
  failed(reason: string): void;
  exited(code: number): void;
}

/**
 * Starts a node run's worker thread. Pause and stop travel through shared memory: a worker busy in
 * a step reads the flag before the next.
 */
function startWorker(start: Omit<WorkerStart, 'control'>, env: NodeJS.ProcessEnv | undefined, on: WorkerListeners): Execution {
  const control = new SharedArrayBuffer(4);
  const flags = new Int32Array(control);
  const worker = spawnRunWorker({ ...start, control }, env);
  worker.on('message', (raw) => {
    const parsed = WorkerMessage.safeParse(raw);
    if (!parsed.success) return on.failed(`worker sent an invalid message: ${parsed.error.message}`);
    on.message(parsed.data);
  });
  worker.on('error', (e) => on.failed(`worker failed: ${e.message}`));
  worker.on('exit', (code) => on.exited(code));
  return {
    pause: () => Atomics.store(flags, 0, CONTROL.pause),
    resume: () => Atomics.store(flags, 0, CONTROL.run),
    stop: () => Atomics.store(flags, 0, CONTROL.stop),
    terminate: async () => {
      await worker.terminate();
    },
  };
}

function closeWriter(writer: WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (writer.closed || writer.destroyed) return resolve();
    writer.end(() => resolve());
  });
}
