// The recording of browser runs (executor "browser"): the run trains in a tab, and the server only
// stores and streams what the tab posts (its batches' format and checks are in browser-batch.ts).
// Lifecycle of a browser run:
//   queued (a point of a browser sweep, waiting for its turn in the tab) -> running when the tab
//     claims it (its first batch), -> stopped when the sweep is stopped first
//   running <-> paused (as the tab says) -> completed | stopped | failed (its run/finished)
//   running | paused with no word from the tab for idleMs, or at startup -> interrupted; the
//     sweep's points still queued for that tab are interrupted with it (no tab will train them)
//   interrupted -> running again when its tab posts the next batch (it was only out of touch)
//   interrupted | stopped -> (resume) continues on the server, executor node, from its last
//   checkpoint (the manager's resume; pause, resume and stop of a run in a tab are the tab's)
import { recordEdits } from './edit-history';
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { metaToJson, pruneCheckpoints, type CheckpointEntry, type CheckpointStore } from '../../engine/checkpoint/checkpoint-store';
import { executorDefinitionOf } from './executors/registry';
import { directoryCheckpointStore } from '../../engine/node/checkpoint-dir';
import type { Plan } from '../../engine/plan';
import { keepLastOf, placeBatch, type EventBatch } from './browser-batch';
import { now, observe, type RunRecord, type RunRecords } from './records';
import { RunActionError } from './refusals';
import { isCheckpointName } from './resume-point';
import { EVENTS_FILE, eventLine, type RunState, type RunStatus, type RunFolders, type WireEvent } from './run-folders';
import type { EventHub } from './stream';
import { checkpointFitsPlan, type CheckedCheckpoint } from './uploads';

/** What recording needs of the server's runs: their records, their folders, their streams. */
export interface RecordingContext {
  runs: Pick<RunRecords, 'require' | 'all' | 'setState' | 'progress'>;
  store: Pick<RunFolders, 'dir' | 'checkpointsDir' | 'readJson'>;
  hub: Pick<EventHub, 'publish' | 'settle'>;
  /** How long a run may go without a batch from its tab before it is interrupted (ms). */
  idleMs: number;
}

export class BrowserRecording {
  /** Each run's posts, handled one after another. */
  private posts = new Map<string, Promise<unknown>>();
  /** Interrupt a run when its tab has been silent for idleMs. */
  private idleTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private closed = false;

  constructor(private readonly context: RecordingContext) {}

  /**
   * Stores a batch of a browser run's events, posted by its tab: numbered from the batch's `seq`,
   * its log lines appended to train_log.jsonl / samples.jsonl, the events to events.jsonl, then
   * published and reflected in the status as a worker's are. A batch already stored is
   * acknowledged and not stored again; one that does not start where the stream ends is refused
   * (409 with `expectedSeq`). An interrupted run whose tab speaks again is running again.
   * @example await recording.recordEvents(id, { seq: 1, events, lines: [], paused: false }) // { lastSeq: events.length, stored: events.length }
   */
  recordEvents(id: string, batch: EventBatch): Promise<{ lastSeq: number; stored: number }> {
    const { runs, store, hub } = this.context;
    const record = runs.require(id);
    return this.serially(record, async () => {
      const { status } = record;
      requireBrowser(record);
      const place = placeBatch(status.lastSeq, batch.seq, batch.events.length);
      if (place.kind === 'duplicate') {
        this.heard(record);
        return { lastSeq: status.lastSeq, stored: 0 };
      }
      requireRecording(record);
      if (place.kind === 'conflict') {
        throw new RunActionError(409, `run ${id} expects its next batch to start at seq ${place.expected}, not ${batch.seq}`, { expectedSeq: place.expected });
      }
      const wire = batch.events.map((event, i): WireEvent => ({ runId: id, seq: status.lastSeq + 1 + i, ...event }));
      // Lines first: events.jsonl decides what is stored, so a batch cut short by a crash is posted
      // again whole (its lines may then appear twice; its events never do).
      for (const file of ['train_log.jsonl', 'samples.jsonl'] as const) {
        const text = batch.lines.filter((l) => l.file === file).map((l) => l.line + '\n').join('');
        if (text) await appendFile(join(store.dir(id), file), text);
      }
      if (wire.length) await appendFile(join(store.dir(id), EVENTS_FILE), wire.map((e, i) => eventLine(e.seq, batch.events[i])).join(''));
      status.lastSeq += wire.length;
      recordEdits(store.dir(id), batch.events);
      for (const event of batch.events) observe(status, event);
      hub.publish(id, wire);
      const last = batch.events.at(-1);
      if (last?.type === 'run/finished') {
        this.end(record, last.data.status, last.step, last.data.lastCheckpoint);
      } else if (batch.closing) {
        if (isRecording(status)) this.interrupt(record);
        this.stopWatching(record);
      } else {
        const paused = batch.paused ?? status.state === 'paused';
        const state: RunState = paused ? 'paused' : 'running';
        // A sweep's point starts when its tab claims it, not when the sweep was made.
        const claimed = status.state === 'queued' ? { startedAt: now() } : {};
        if (state !== status.state) runs.setState(record, state, { finishedAt: undefined, ...claimed });
        else if (wire.length) runs.progress(record);
        this.heard(record);
      }
      return { lastSeq: status.lastSeq, stored: wire.length };
    });
  }

  /**
   * Stores a checkpoint a browser run's tab wrote, in the run's checkpoints/, keeping as many as
   * its checkpoint node's keep_last; then the run's checkpoint links serve it like a node run's.
   * Refused (400) when its weights do not fit the run's model or its step is past the run's end.
   */
  recordCheckpoint(id: string, checkpoint: CheckedCheckpoint): Promise<CheckpointEntry & { removed: string[] }> {
    const { runs, store } = this.context;
    const record = runs.require(id);
    return this.serially(record, async () => {
      requireBrowser(record);
      requireRecording(record);
      const plan = (await store.readJson(id, 'plan.json')) as Plan;
      const keepLast = keepLastOf(plan);
      if (keepLast === undefined) throw new RunActionError(409, `run ${id}'s pipeline has no checkpoint node: it writes no checkpoints`);
      const { step } = checkpoint.meta;
      if (step > plan.totalSteps) throw new RunActionError(400, `${checkpoint.name} is at step ${step}, past the run's last step (${plan.totalSteps})`);
      const misfits = checkpointFitsPlan(plan, checkpoint);
      if (misfits.length) {
        throw new RunActionError(400, `${checkpoint.name} is not a checkpoint of this run's model`, { errors: misfits.map((m) => ({ nodeId: m.nodeId, code: 'checkpoint', message: m.message })) });
      }
      const checkpoints = directoryCheckpointStore(store.checkpointsDir(id));
      const stored = await storedAlready(checkpoints, checkpoint);
      if (stored) return { ...stored, removed: [] };
      const entry = await checkpoints.save(checkpoint.name, checkpoint.weights, checkpoint.meta);
      const removed = await pruneCheckpoints(checkpoints, keepLast);
      this.heard(record);
      return { ...entry, removed };
    });
  }

  /**
   * Refuses early what recordCheckpoint would refuse for the run's kind or state, so a checkpoint
   * upload is turned away before its body is read.
   */
  checkRecording(id: string): void {
    const record = this.context.runs.require(id);
    requireBrowser(record);
    requireRecording(record);
  }

  /** Pause, resume and stop of a browser run that trains are the tab's: the server cannot reach it. */
  refuseInTab(record: RunRecord, action: 'pause' | 'resume' | 'stop'): void {
    if (isRecording(record.status)) {
      throw new RunActionError(409, `run ${record.status.id} trains in a browser tab: ${action} it there (the server only records it)`);
    }
  }

  /** The run's tab has idleMs from now to post its next batch before the run is interrupted. */
  watchIdle(record: RunRecord): void {
    this.stopWatching(record);
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.idleTimers.delete(record.status.id);
      void this.serially(record, async () => {
        if (!this.closed && (isRecording(record.status) || awaitsTab(record.status))) this.interrupt(record);
      });
    }, this.context.idleMs);
    timer.unref?.();
    this.idleTimers.set(record.status.id, timer);
  }

  /**
   * The server is closing: what the tabs posted is stored, then their runs are interrupted (their
   * tabs will find the next server).
   */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.posts.values());
    for (const record of this.context.runs.all()) {
      this.stopWatching(record);
      if (isRecording(record.status) || awaitsTab(record.status)) this.interrupt(record);
    }
  }

  /** A browser run's posts, one at a time (a tab sends them in order; this keeps any client honest). */
  private serially<T>(record: RunRecord, task: () => Promise<T>): Promise<T> {
    const { id } = record.status;
    const result = (this.posts.get(id) ?? Promise.resolve()).then(task);
    this.posts.set(id, result.catch(() => undefined));
    return result;
  }

  /**
   * The tab of a recording browser run was heard from: it has idleMs again, and so have the points
   * of its sweep that wait for it (the tab trains them one after another).
   */
  private heard(record: RunRecord): void {
    if (!isRecording(record.status)) return;
    this.watchIdle(record);
    for (const point of this.waitingPointsOf(record)) this.watchIdle(point);
  }

  /** The other points of `record`'s sweep that wait for the same tab. */
  private waitingPointsOf(record: RunRecord): RunRecord[] {
    const sweep = record.status.sweep?.id;
    if (!sweep) return [];
    return this.context.runs.all().filter((r) => r !== record && r.status.sweep?.id === sweep && awaitsTab(r.status));
  }

  private stopWatching(record: RunRecord): void {
    clearTimeout(this.idleTimers.get(record.status.id));
    this.idleTimers.delete(record.status.id);
  }

  /**
   * A browser run whose tab went silent (closed, crashed, asleep) or whose server stops; the points
   * of its sweep still waiting for that tab are interrupted with it.
   */
  private interrupt(record: RunRecord): void {
    for (const run of [record, ...this.waitingPointsOf(record)]) {
      this.stopWatching(run);
      this.context.hub.settle(run.status.id);
      this.context.runs.setState(run, 'interrupted', { finishedAt: now() });
    }
  }

  /** The tab posted its run's run/finished: the run is over, as it says. */
  private end(record: RunRecord, state: 'completed' | 'stopped' | 'failed', step: number, lastCheckpoint: string | undefined): void {
    this.stopWatching(record);
    this.context.hub.settle(record.status.id);
    this.context.runs.setState(record, state, { step, finishedAt: now(), ...(lastCheckpoint && isCheckpointName(lastCheckpoint) ? { lastCheckpoint } : {}) });
  }
}

/**
 * Checkpoints are append-only: the same checkpoint posted again (a retry whose reply was lost) is
 * acknowledged as stored; another one under a stored name is refused (409), so a tab cannot
 * rewrite what a run has saved.
 */
async function storedAlready(checkpoints: CheckpointStore, checkpoint: CheckedCheckpoint): Promise<CheckpointEntry | undefined> {
  const entry = (await checkpoints.list()).find((e) => e.name === checkpoint.name);
  if (!entry) return undefined;
  const { weights, meta } = await checkpoints.load(entry.name);
  const same = Buffer.from(weights).equals(Buffer.from(checkpoint.weights)) && metaToJson(entry.name, meta) === metaToJson(entry.name, checkpoint.meta);
  if (!same) throw new RunActionError(409, `this run has a checkpoint ${entry.name} already: a stored checkpoint is not replaced`);
  return entry;
}

function requireBrowser(record: RunRecord): void {
  const { id, executor } = record.status;
  if (executorDefinitionOf(executor)?.trainsIn !== 'tab') throw new RunActionError(409, `run ${id} is a ${executor} run: only a browser run takes events and checkpoints from its tab`);
}

/** A run its tab may post to: recording, interrupted (the tab was out of touch) or a sweep's point waiting for it. */
function requireRecording(record: RunRecord): void {
  const { id, state } = record.status;
  if (state !== 'running' && state !== 'paused' && state !== 'interrupted' && !awaitsTab(record.status)) throw new RunActionError(409, `run ${id} is ${state}: its recording has ended`);
}

/** A point of a browser sweep that waits for its turn in the tab that launched the sweep. */
export function awaitsTab(status: RunStatus): boolean {
  return executorDefinitionOf(status.executor)?.trainsIn === 'tab' && status.state === 'queued';
}

/** A browser run its tab is training (as far as the server knows). */
export function isRecording(status: RunStatus): boolean {
  return executorDefinitionOf(status.executor)?.trainsIn === 'tab' && (status.state === 'running' || status.state === 'paused');
}
