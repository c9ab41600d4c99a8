// Runs training on this server, whichever executor trains them (executors/: a node run's worker
// thread, a torch run's PyTorch processes). A run given a training slot is started by its
// executor, its messages become its numbered events (events.jsonl, then the hub) and its status,
// and when it ends, fails or the server closes, its slot is released.
import type { WriteStream } from 'node:fs';
import type { RunEvent } from '../../engine/events';
import type { ActiveRun, Execution } from './execution';
import { executorFor, type ExecutorServer, type RunChannel } from './executors';
import { recordEdits } from './edit-history';
import type { WorkerMessage } from './messages';
import { now, observe, type RunRecord, type RunRecords } from './records';
import { eventLine, type RunFolders, type RunState, type WireEvent } from './run-folders';
import type { EventHub } from './stream';

/** What running runs needs of the server: its runs, their folders and streams, what executors are lent. */
export interface ExecutionContext {
  runs: Pick<RunRecords, 'all' | 'setState' | 'progress' | 'save'>;
  store: Pick<RunFolders, 'appendEvents' | 'dir'>;
  hub: Pick<EventHub, 'publish' | 'settle'>;
  server: ExecutorServer;
  /** How long a stopped run may take to finish its step before its execution is ended (ms). */
  stopGraceMs: number;
  /** The run's training slot is free again: it ended, could not start, or waits for the next server. */
  release(id: string): void;
}

export class RunExecutions {
  /** Runs that have ended and are closing their event file, execution and status (finish). */
  private readonly finishing = new Set<Promise<void>>();

  constructor(private readonly context: ExecutionContext) {}

  /** Starts a run that holds a training slot with its executor; a run that cannot start fails. */
  start(record: RunRecord): void {
    const { id, executor: name } = record.status;
    const executor = executorFor(name);
    let active: ActiveRun | undefined;
    // What an execution says once its run has ended (or another execution of it began) is ignored.
    const current = () => active !== undefined && record.active === active && !active.ended;
    const channel: RunChannel = {
      message: (message) => {
        if (current()) this.handle(record, message);
      },
      crash: (reason) => {
        if (current()) this.crash(record, reason);
      },
      update: (patch) => {
        if (!current()) return;
        Object.assign(record.status, patch);
        this.context.runs.save(record);
      },
    };
    const starting = executor.start
      ? executor.start(record, this.context.server, channel)
      : Promise.reject(new Error(`executor ${name} trains in a tab, not here`));
    starting.then((execution) => {
      if (!execution) return this.context.release(id); // still queued: the next server starts it
      active = this.activate(record, execution);
      execution.launch?.();
    }).catch((e: Error) => {
      if (record.active) return this.crash(record, `could not start: ${e.message}`);
      record.status.error = { message: `could not start: ${e.message}` };
      this.context.runs.setState(record, 'failed', { finishedAt: now() });
      this.context.release(id);
    });
  }

  /**
   * Stops a run after its current step. The step is awaited only so long: one that never ends (a
   * kernel far too large, a stalled read) would keep the run alive, so after the grace period its
   * execution ends there and the run is stopped, resumable from its last checkpoint.
   */
  stop(record: RunRecord): void {
    const active = record.active;
    if (!active || active.ended) return;
    active.execution.stop();
    if (active.stopDeadline) return;
    active.stopDeadline = setTimeout(() => {
      if (record.active !== active || active.ended) return;
      const { status } = record;
      this.append(record, [{
        type: 'run/finished', step: status.step,
        data: { status: 'stopped', elapsed_s: status.metrics.elapsed_s ?? 0, ...(status.lastCheckpoint ? { lastCheckpoint: status.lastCheckpoint } : {}) },
      }]);
      void this.finish(record, 'stopped');
    }, this.context.stopGraceMs);
  }

  /**
   * The server is closing: every run training ends now and becomes interrupted, resumable later;
   * a run that has just ended finishes recording its end first (its final status is written).
   */
  async interruptAll(): Promise<void> {
    const { runs, hub } = this.context;
    const active = runs.all().filter((r) => r.active && !r.active.ended);
    await Promise.all(active.map(async (record) => {
      record.active!.ended = true;
      clearTimeout(record.active!.stopDeadline);
      await record.active!.execution.terminate();
      await closeWriter(record.active!.writer);
      hub.settle(record.status.id);
      record.active = undefined;
      runs.setState(record, 'interrupted', { finishedAt: now() });
    }));
    await Promise.all(this.finishing);
  }

  private activate(record: RunRecord, execution: Execution): ActiveRun {
    record.active = { execution, writer: this.context.store.appendEvents(record.status.id), ended: false };
    record.status.restartSchedule = undefined; // once: a later resume continues from its own checkpoint
    record.status.startedAt ??= now(); // a resumed run keeps its first start (status.resumed.at is the later one)
    this.context.runs.setState(record, 'running');
    return record.active;
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
    // train.py keeps a torch run's history itself.
    if (status.executor !== 'torch') recordEdits(this.context.store.dir(status.id), events);
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

  /** Ends a run in `state`; interruptAll waits for ends under way. */
  private finish(record: RunRecord, state: RunState): Promise<void> {
    const ending = this.end(record, state).finally(() => this.finishing.delete(ending));
    this.finishing.add(ending);
    return ending;
  }

  private async end(record: RunRecord, state: RunState): Promise<void> {
    const active = record.active!;
    active.ended = true;
    clearTimeout(active.stopDeadline);
    await closeWriter(active.writer);
    // Every event is on disk now (the writer called back for each): late watchers read the file.
    this.context.hub.settle(record.status.id);
    await active.execution.terminate();
    record.active = undefined;
    executorFor(record.status.executor).ended?.(record.status);
    this.context.runs.setState(record, state, { finishedAt: now(), resumeFrom: undefined });
    this.context.release(record.status.id);
  }
}

function closeWriter(writer: WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (writer.closed || writer.destroyed) return resolve();
    writer.end(() => resolve());
  });
}
