// The run manager: compiles submitted pipelines, queues them, runs each in a worker thread
// (so the server stays responsive) or, with executor "torch", as a PyTorch process (torch.ts), and
// turns the run's events into its numbered, stored and broadcast stream. Lifecycle of a run:
//   queued -> running <-> paused -> completed | stopped | failed
//   running | paused when the server dies -> interrupted (at the next startup)
//   interrupted | stopped -> (resume) queued -> running, from the last checkpoint
// A run may also start from an uploaded checkpoint (uploads.ts) or another run's: it is copied into
// the run's own checkpoints/ at submission, so the run starts, and later resumes, as if it had
// saved it itself.
// A browser run (executor "browser") trains in a tab; the server only records it (browser-record.ts):
//   running <-> paused (as the tab says) -> completed | stopped | failed (its run/finished)
//   running | paused with no word from the tab for browserIdleMs, or at startup -> interrupted
//   interrupted -> running again when its tab posts the next batch (it was only out of touch)
//   interrupted | stopped -> (resume) continues on the server, executor node, from its last checkpoint
import type { WriteStream } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { compile } from '../../engine/compiler/compile';
import type { RunEvent } from '../../engine/events';
import { checkExportable } from '../../engine/export/torch/export';
import { DEFAULT_PYTHON, detectTorch, type TorchInfo } from '../../engine/export/torch/launch';
import { pruneCheckpoints, type CheckpointEntry } from '../../engine/checkpoint/store';
import { directoryCheckpointStore } from '../../engine/node/checkpoint-dir';
import type { Plan } from '../../engine/plan';
import { keepLastOf, placeBatch, type BrowserBackendPreference, type EventBatch } from './browser-record';
import { isRunId, newRunId } from './ids';
import { CONTROL, NodeBackend, WorkerMessage, type TorchDevice, type WorkerStart } from './messages';
import { spawnRunWorker } from './spawn';
import { EVENTS_FILE, eventLine, FINAL_STATES, RunStore, type RunState, type RunStatus, type WireEvent } from './store';
import { EventHub } from './stream';
import { killLeftoverRun, TorchRun } from './torch';
import { checkCheckpoint, checkpointFitsPlan, UploadError, UploadStore, type CheckedCheckpoint, type LoadedUpload } from './uploads';

export interface RunManagerOptions {
  runsDir: string;
  /** Where bundled corpora are prepared (data/). */
  dataDir: string;
  /** Runs training at the same time; the rest wait in the queue. Default 1. */
  maxConcurrentRuns?: number;
  /** Environment of the worker threads (WANDB_API_KEY, ...). Default: this process's. */
  workerEnv?: NodeJS.ProcessEnv;
  /** Live event batching interval in ms. Default 100. */
  flushMs?: number;
  /** Python with torch and numpy for torch runs. Default /usr/bin/python3. */
  python?: string;
  /** How long a stopped torch run may take to end its step before it is killed (ms). Default 30 000. */
  torchStopGraceMs?: number;
  /** How often a torch run's folder is read (ms). Default 250. */
  torchPollMs?: number;
  /** How long a browser run may go without a batch from its tab before it is interrupted (ms). Default 120 000. */
  browserIdleMs?: number;
}

export interface Submission {
  pipeline: unknown;
  /**
   * node (default): tfjs in a worker thread; torch: the PyTorch export in a python process;
   * browser: recorded only, a tab trains it and posts its events (no worker starts).
   */
  executor?: 'node' | 'torch' | 'browser';
  /** Overrides training.steps. */
  steps?: number;
  /** node runs: the tfjs backend; browser runs: the backend the tab starts with. */
  backend?: NodeBackend | BrowserBackendPreference;
  /** torch runs: processes (torchrun when > 1) and device (default: what PyTorch finds, CUDA first). */
  torch?: { nproc?: number; device?: 'cpu' | 'cuda' };
  /** Start from an uploaded checkpoint (POST /api/checkpoints) or another run's, instead of from scratch. */
  resume?: ResumeSource;
}

/** A checkpoint a run starts from: an upload, or one in another run's checkpoints/. */
export type ResumeSource = { upload: string } | { run: string; checkpoint: string };

/** A user error in a submission, addressed like the compiler's diagnostics. */
export interface SubmitError {
  nodeId?: string;
  edgeId?: string;
  field?: string;
  code?: string;
  message: string;
}

/**
 * Why an action on a run was refused: 400 (what was sent is wrong), 404 (no such run) or 409 (not
 * in a state that allows it); `details` go into the reply beside `error`.
 */
export class RunActionError extends Error {
  constructor(readonly status: 400 | 404 | 409, message: string, readonly details?: Record<string, unknown>) {
    super(message);
  }
}

/** A run in progress, whichever executor trains it: what the manager can ask of it. */
interface Execution {
  pause(): void;
  resume(): void;
  stop(): void;
  /** Ends it now (the run has ended, or the server is closing). */
  terminate(): Promise<void>;
}

interface ActiveRun {
  execution: Execution;
  writer: WriteStream;
  ended: boolean;
}

/** Why a submission was refused: a summary, and the problems addressed to nodes or fields. */
export interface SubmitRefusal {
  error: string;
  errors: SubmitError[];
}

interface RunRecord {
  status: RunStatus;
  active?: ActiveRun;
  /** Status writes, one after another (each replaces status.json). */
  saving: Promise<void>;
  saveTimer?: ReturnType<typeof setTimeout>;
  /** Browser runs: what the tab posted, handled one request after another. */
  recording?: Promise<unknown>;
  /** Browser runs: interrupts the run when its tab has been silent for browserIdleMs. */
  idleTimer?: ReturnType<typeof setTimeout>;
}

/** How often progress (step, metrics) reaches status.json and the `runs` broadcast. */
const PROGRESS_MS = 1000;

export class RunManager {
  readonly store: RunStore;
  readonly hub: EventHub;
  /** Checkpoints uploaded to start runs from: RUNS_DIR/uploads/. */
  readonly uploads: UploadStore;
  private runs = new Map<string, RunRecord>();
  private queue: string[] = [];
  /** Runs holding a training slot: starting (worker not yet spawned) or active. */
  private slots = new Set<string>();
  private statusListeners = new Set<(status: RunStatus) => void>();
  private closed = false;
  private readonly maxConcurrent: number;
  private torch: Promise<TorchInfo> | undefined;

  constructor(private readonly options: RunManagerOptions) {
    this.store = new RunStore(resolve(options.runsDir));
    this.uploads = new UploadStore(join(resolve(options.runsDir), 'uploads'));
    this.hub = new EventHub((id, after) => this.store.readEvents(id, after), options.flushMs ?? 100);
    this.maxConcurrent = Math.max(1, options.maxConcurrentRuns ?? 1);
  }

  /**
   * Loads the runs folder: every run becomes history again; runs that were running or paused
   * when the last server died are marked interrupted; queued runs are queued again.
   */
  async init(): Promise<void> {
    for (const id of await this.store.list()) {
      const status = await this.store.readStatus(id);
      if (!status) continue;
      status.lastSeq = await this.store.repairEvents(id);
      const record: RunRecord = { status, saving: Promise.resolve() };
      this.runs.set(id, record);
      this.hub.open(id, status.lastSeq);
      if (status.state === 'running' || status.state === 'paused') {
        // A torch run's processes outlive a crashed server: end them before anyone resumes the run.
        if (status.torch?.pid !== undefined) {
          if (killLeftoverRun(status.torch.pid, this.store.dir(id))) console.warn(`run ${id}: killed its PyTorch processes, left by the previous server`);
          status.torch = { ...status.torch, pid: undefined };
        }
        this.setState(record, 'interrupted', { finishedAt: now() });
      } else if (status.state === 'queued') {
        this.queue.push(id);
      }
    }
    this.schedule();
  }

  /** Listens to status changes and progress (at most about once a second per run). */
  onStatus(listener: (status: RunStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /** Newest first. */
  list(): RunStatus[] {
    return [...this.runs.values()].map((r) => r.status).sort((a, b) => (a.id < b.id ? 1 : -1));
  }

  get(id: string): RunStatus | undefined {
    return this.runs.get(id)?.status;
  }

  /**
   * Whether python can run torch runs, its torch version and device (python is asked once, on the
   * first call, and the answer kept for the server's life).
   */
  torchInfo(): Promise<TorchInfo> {
    this.torch ??= detectTorch(this.options.python ?? DEFAULT_PYTHON);
    return this.torch;
  }

  /** The python interpreter torch runs use. */
  get python(): string {
    return this.options.python ?? DEFAULT_PYTHON;
  }

  /**
   * Compiles and queues a pipeline. Returns the new run's id, or why it was refused: the compiler's
   * errors, what keeps a torch run from being exported, or a torch executor that cannot run it
   * (nothing is created then).
   */
  async submit(submission: Submission): Promise<{ id: string } | SubmitRefusal> {
    let document = submission.pipeline;
    if (submission.steps !== undefined && typeof document === 'object' && document !== null && !Array.isArray(document)) {
      const doc = document as { training?: Record<string, unknown> };
      document = { ...doc, training: { ...doc.training, steps: submission.steps } };
    }
    const compiled = compile(document);
    if (!compiled.ok) {
      return {
        error: 'the pipeline has errors',
        errors: compiled.diagnostics.filter((d) => d.severity === 'error').map((d) => ({
          ...(d.nodeId ? { nodeId: d.nodeId } : {}), ...(d.edgeId ? { edgeId: d.edgeId } : {}),
          ...(d.field ? { field: d.field } : {}), code: d.code, message: d.message,
        })),
      };
    }
    const { plan } = compiled;
    const browser = submission.executor === 'browser';
    let torch: RunStatus['torch'];
    let backend: string = submission.backend ?? (browser ? 'auto' : 'wasm');
    if (browser && submission.resume) {
      return { error: 'a browser run cannot start from a checkpoint here', errors: [{ field: 'resume', code: 'resume', message: 'is for executors node and torch (the tab reads a checkpoint from files itself)' }] };
    }
    if (submission.executor === 'torch') {
      const checked = await this.checkTorch(plan, submission.torch ?? {});
      if ('error' in checked) return checked;
      torch = { nproc: checked.nproc, device: checked.device };
      backend = checked.backend;
    }
    const start = submission.resume ? await this.checkResume(plan, submission.resume) : undefined;
    if (start && 'error' in start) return start;
    const id = newRunId();
    const time = now();
    const status: RunStatus = {
      id, name: plan.name, state: 'queued', executor: submission.executor ?? 'node', backend, ...(torch ? { torch } : {}),
      step: 0, totalSteps: plan.totalSteps, metrics: {}, createdAt: time, updatedAt: time, lastSeq: 0,
      ...(browser ? { startedAt: time } : {}),
    };
    // The filled-in pipeline (what trainPipeline writes too), so a queued run survives a restart.
    await this.store.writeJson(id, 'pipeline.json', plan.pipeline);
    await this.store.writeJson(id, 'plan.json', plan);
    if (start) {
      const { info, checkpoint, origin } = start;
      await directoryCheckpointStore(this.store.checkpointsDir(id)).save(checkpoint.name, checkpoint.weights, checkpoint.meta);
      Object.assign(status, {
        step: info.step, resumeFrom: checkpoint.name,
        resumedFrom: { ...origin, name: info.name, step: info.step, ...(info.executor ? { executor: info.executor } : {}) },
      });
    }
    const record: RunRecord = { status, saving: Promise.resolve() };
    this.runs.set(id, record);
    this.hub.open(id, 0);
    if (browser) {
      // Nothing to start: the tab is training it already and posts its events as they come.
      this.setState(record, 'running');
      this.watchIdle(record);
      return { id };
    }
    this.setState(record, 'queued');
    this.queue.push(id);
    this.schedule();
    return { id };
  }

  /**
   * The checkpoint a submission starts from (an upload, or another run's), if it exists and can
   * continue in `plan`: a step before the plan's last, and model weights of the model's names and
   * shapes.
   */
  private async checkResume(plan: Plan, resume: ResumeSource): Promise<SubmitRefusal | (LoadedUpload & { origin: { upload: string } | { run: string } })> {
    const refuse = (errors: SubmitError[]): SubmitRefusal => ({ error: 'the checkpoint cannot continue in this pipeline', errors });
    let upload: LoadedUpload | undefined;
    const field = 'upload' in resume ? 'resume.upload' : 'resume.checkpoint';
    const what = 'upload' in resume ? `the uploaded checkpoint ${resume.upload}` : `run ${resume.run}'s checkpoint ${resume.checkpoint}`;
    try {
      upload = 'upload' in resume ? await this.uploads.load(resume.upload) : await this.loadRunCheckpoint(resume.run, resume.checkpoint);
    } catch (e) {
      if (!(e instanceof UploadError)) throw e;
      return refuse([{ field, code: 'resume', message: `${what} is damaged: ${e.message}` }]);
    }
    if (!upload) {
      return refuse([{
        field, code: 'resume',
        message: 'upload' in resume ? `no uploaded checkpoint ${JSON.stringify(resume.upload)} (upload one with POST /api/checkpoints)`
          : !isRunId(resume.run) || !this.runs.has(resume.run) ? `no run ${JSON.stringify(resume.run)}` : `run ${resume.run} has no checkpoint ${JSON.stringify(resume.checkpoint)}`,
      }]);
    }
    const { step } = upload.info;
    if (plan.totalSteps <= step) {
      return refuse([{ field: 'steps', code: 'resume', message: `${upload.info.name} is at step ${step} and the run trains ${plan.totalSteps} steps: nothing is left to train (raise training.steps)` }]);
    }
    const misfits = checkpointFitsPlan(plan, upload.checkpoint);
    if (misfits.length) return refuse(misfits.map((m) => ({ nodeId: m.nodeId, code: 'resume', message: m.message })));
    return { ...upload, origin: 'upload' in resume ? { upload: resume.upload } : { run: resume.run } };
  }

  /** A complete checkpoint of a known run, checked like an upload; undefined when there is none. */
  private async loadRunCheckpoint(runId: string, name: string): Promise<LoadedUpload | undefined> {
    if (!isRunId(runId) || !this.runs.has(runId)) return undefined;
    const store = directoryCheckpointStore(this.store.checkpointsDir(runId));
    const entry = (await store.list()).find((e) => e.name === name);
    if (!entry) return undefined;
    const { weights, meta } = await store.load(entry.name);
    const checkpoint = checkCheckpoint(weights, meta, entry.name);
    const executor = (checkpoint.meta as { executor?: unknown }).executor;
    return { info: { id: runId, name: entry.name, step: checkpoint.meta.step, bytes: entry.bytes, ...(typeof executor === 'string' ? { executor } : {}) }, checkpoint };
  }

  /**
   * Whether this torch executor can run `plan` as asked: the export's standard loop, torch found,
   * the device there, the batch divisible among the processes. Returns the settings or a refusal.
   */
  private async checkTorch(plan: Plan, asked: NonNullable<Submission['torch']>): Promise<SubmitRefusal | { nproc: number; device: TorchDevice; backend: string }> {
    const issues = checkExportable(plan);
    if (issues.length) {
      return {
        error: 'the pipeline cannot be exported to PyTorch',
        errors: issues.map((i) => ({ ...(i.nodeId ? { nodeId: i.nodeId } : {}), ...(i.field ? { field: i.field } : {}), code: 'torch_export', message: i.message })),
      };
    }
    const info = await this.torchInfo();
    const refuse = (field: string, message: string): SubmitRefusal => ({ error: 'the torch executor cannot run this', errors: [{ field, code: 'torch_executor', message }] });
    if (!info.available) return refuse('executor', `PyTorch is not available: ${info.error ?? 'unknown reason'}`);
    const nproc = asked.nproc ?? 1;
    const device = asked.device ?? info.device;
    if (device === 'cuda' && info.gpus === 0) return refuse('torch.device', `PyTorch ${info.version} sees no CUDA device here`);
    if (device === 'cuda' && nproc > info.gpus) return refuse('torch.nproc', `${nproc} processes need ${nproc} GPUs; PyTorch sees ${info.gpus}`);
    const batch = plan.nodes.find((n) => n.kind === 'get_batch')!;
    const batchSize = Number(batch.params.batch_size);
    if (batchSize % nproc !== 0) {
      return {
        error: 'the torch executor cannot run this',
        errors: [{ nodeId: batch.id, field: 'batch_size', code: 'torch_executor', message: `(${batchSize}) must divide by the number of processes (${nproc}): each takes an equal slice of the batch` }],
      };
    }
    return { nproc, device, backend: `torch-${device}${nproc > 1 ? `x${nproc}` : ''}` };
  }

  pause(id: string): RunStatus {
    const record = this.require(id);
    this.refuseInTab(record, 'pause');
    if (record.status.state === 'paused') return record.status;
    if (record.status.state !== 'running' || !record.active) throw new RunActionError(409, `run ${id} is ${record.status.state}, not running`);
    record.active.execution.pause();
    this.setState(record, 'paused');
    return record.status;
  }

  /**
   * Continues a paused run, or restarts an interrupted or stopped one from its last checkpoint
   * (from the start when it has none); the latter goes through the queue. An interrupted or
   * stopped browser run continues here, on the node executor.
   */
  async resume(id: string): Promise<RunStatus> {
    const record = this.require(id);
    this.refuseInTab(record, 'resume');
    const { state } = record.status;
    if (state === 'running' || state === 'queued') return record.status;
    if (state === 'paused' && record.active) {
      record.active.execution.resume();
      this.setState(record, 'running');
      return record.status;
    }
    if (state !== 'interrupted' && state !== 'stopped') throw new RunActionError(409, `run ${id} is ${state}; only paused, stopped or interrupted runs resume`);
    const checkpoints = await directoryCheckpointStore(this.store.checkpointsDir(id)).list();
    const last = checkpoints.at(-1);
    // Lines past the checkpoint would be written again by the resumed run: drop them now.
    const step = last?.step ?? 0;
    await this.store.keepStepsUpTo(id, 'train_log.jsonl', step);
    await this.store.keepStepsUpTo(id, 'samples.jsonl', step);
    record.status.resumeFrom = last?.name;
    if (record.status.executor === 'browser') Object.assign(record.status, { executor: 'node', backend: 'wasm' });
    record.status.error = undefined;
    record.status.finishedAt = undefined;
    record.status.step = step;
    this.setState(record, 'queued');
    this.queue.push(id);
    this.schedule();
    return record.status;
  }

  /** Stops a run after its current step (a queued run never starts). */
  stop(id: string): RunStatus {
    const record = this.require(id);
    this.refuseInTab(record, 'stop');
    const { state } = record.status;
    if (state === 'queued') {
      this.queue = this.queue.filter((q) => q !== id);
      this.setState(record, 'stopped', { finishedAt: now() });
    } else if ((state === 'running' || state === 'paused') && record.active) {
      record.active.execution.stop();
    } else if (!FINAL_STATES.includes(state)) {
      throw new RunActionError(409, `run ${id} is ${state}`);
    }
    return record.status;
  }

  /**
   * Stores a batch of a browser run's events, posted by its tab: numbered from the batch's `seq`,
   * its log lines appended to train_log.jsonl / samples.jsonl, the events to events.jsonl, then
   * published and reflected in the status as a worker's are. A batch already stored is
   * acknowledged and not stored again; one that does not start where the stream ends is refused
   * (409 with `expectedSeq`). An interrupted run whose tab speaks again is running again.
   * @example await manager.recordEvents(id, { seq: 1, events, lines: [], paused: false }) // { lastSeq: events.length, stored: events.length }
   */
  recordEvents(id: string, batch: EventBatch): Promise<{ lastSeq: number; stored: number }> {
    const record = this.require(id);
    return this.serially(record, async () => {
      const { status } = record;
      this.requireBrowser(record);
      const place = placeBatch(status.lastSeq, batch.seq, batch.events.length);
      if (place.kind === 'duplicate') {
        this.heard(record);
        return { lastSeq: status.lastSeq, stored: 0 };
      }
      this.requireRecording(record);
      if (place.kind === 'conflict') {
        throw new RunActionError(409, `run ${id} expects its next batch to start at seq ${place.expected}, not ${batch.seq}`, { expectedSeq: place.expected });
      }
      const wire = batch.events.map((event, i): WireEvent => ({ runId: id, seq: status.lastSeq + 1 + i, ...event }));
      // Lines first: events.jsonl decides what is stored, so a batch cut short by a crash is posted
      // again whole (its lines may then appear twice; its events never do).
      for (const file of ['train_log.jsonl', 'samples.jsonl'] as const) {
        const text = batch.lines.filter((l) => l.file === file).map((l) => l.line + '\n').join('');
        if (text) await appendFile(join(this.store.dir(id), file), text);
      }
      if (wire.length) await appendFile(join(this.store.dir(id), EVENTS_FILE), wire.map((e, i) => eventLine(e.seq, batch.events[i])).join(''));
      status.lastSeq += wire.length;
      for (const event of batch.events) this.observe(status, event);
      this.hub.publish(id, wire);
      const last = batch.events.at(-1);
      if (last?.type === 'run/finished') {
        this.endRecording(record, last.data.status, last.step, last.data.lastCheckpoint);
      } else if (batch.closing) {
        if (isRecording(status)) this.interruptRecording(record);
        if (record.idleTimer) clearTimeout(record.idleTimer);
        record.idleTimer = undefined;
      } else {
        const paused = batch.paused ?? status.state === 'paused';
        const state: RunState = paused ? 'paused' : 'running';
        if (state !== status.state) this.setState(record, state, { finishedAt: undefined });
        else if (wire.length) this.progress(record);
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
    const record = this.require(id);
    return this.serially(record, async () => {
      this.requireBrowser(record);
      this.requireRecording(record);
      const plan = (await this.store.readJson(id, 'plan.json')) as Plan;
      const keepLast = keepLastOf(plan);
      if (keepLast === undefined) throw new RunActionError(409, `run ${id}'s pipeline has no checkpoint node: it writes no checkpoints`);
      const { step } = checkpoint.meta;
      if (step > plan.totalSteps) throw new RunActionError(400, `${checkpoint.name} is at step ${step}, past the run's last step (${plan.totalSteps})`);
      const misfits = checkpointFitsPlan(plan, checkpoint);
      if (misfits.length) {
        throw new RunActionError(400, `${checkpoint.name} is not a checkpoint of this run's model`, { errors: misfits.map((m) => ({ nodeId: m.nodeId, code: 'checkpoint', message: m.message })) });
      }
      const store = directoryCheckpointStore(this.store.checkpointsDir(id));
      const entry = await store.save(checkpoint.name, checkpoint.weights, checkpoint.meta);
      const removed = await pruneCheckpoints(store, keepLast);
      this.heard(record);
      return { ...entry, removed };
    });
  }

  /**
   * Refuses early what recordCheckpoint would refuse for the run's kind or state, so a checkpoint
   * upload is turned away before its body is read.
   */
  checkRecording(id: string): void {
    const record = this.require(id);
    this.requireBrowser(record);
    this.requireRecording(record);
  }

  /** Ends every worker (their runs become interrupted, resumable later) and stops streaming. */
  async close(): Promise<void> {
    this.closed = true;
    // Browser runs: what their tabs posted is stored; their tabs will find the next server.
    await Promise.all([...this.runs.values()].map((r) => r.recording));
    for (const record of this.runs.values()) {
      if (record.idleTimer) clearTimeout(record.idleTimer);
      record.idleTimer = undefined;
      if (isRecording(record.status)) this.interruptRecording(record);
    }
    const active = [...this.runs.values()].filter((r) => r.active && !r.active.ended);
    await Promise.all(active.map(async (record) => {
      record.active!.ended = true;
      await record.active!.execution.terminate();
      await closeWriter(record.active!.writer);
      this.hub.settle(record.status.id);
      record.active = undefined;
      this.setState(record, 'interrupted', { finishedAt: now() });
    }));
    this.slots.clear();
    for (const record of this.runs.values()) {
      if (record.saveTimer) clearTimeout(record.saveTimer);
      record.saveTimer = undefined;
    }
    await Promise.all([...this.runs.values()].map((r) => r.saving));
    this.hub.close();
  }

  private require(id: string): RunRecord {
    const record = this.runs.get(id);
    if (!record) throw new RunActionError(404, `no run ${id}`);
    return record;
  }

  /** Pause, resume and stop of a browser run that trains are the tab's: the server cannot reach it. */
  private refuseInTab(record: RunRecord, action: 'pause' | 'resume' | 'stop'): void {
    if (isRecording(record.status)) {
      throw new RunActionError(409, `run ${record.status.id} trains in a browser tab: ${action} it there (the server only records it)`);
    }
  }

  private requireBrowser(record: RunRecord): void {
    const { id, executor } = record.status;
    if (executor !== 'browser') throw new RunActionError(409, `run ${id} is a ${executor} run: only a browser run takes events and checkpoints from its tab`);
  }

  private requireRecording(record: RunRecord): void {
    const { id, state } = record.status;
    if (state !== 'running' && state !== 'paused' && state !== 'interrupted') throw new RunActionError(409, `run ${id} is ${state}: its recording has ended`);
  }

  /** A browser run's posts, one at a time (a tab sends them in order; this keeps any client honest). */
  private serially<T>(record: RunRecord, task: () => Promise<T>): Promise<T> {
    const result = (record.recording ?? Promise.resolve()).then(task);
    record.recording = result.catch(() => undefined);
    return result;
  }

  /** The tab of a recording browser run was heard from: it has browserIdleMs again. */
  private heard(record: RunRecord): void {
    if (isRecording(record.status)) this.watchIdle(record);
  }

  private watchIdle(record: RunRecord): void {
    if (record.idleTimer) clearTimeout(record.idleTimer);
    record.idleTimer = undefined;
    if (this.closed) return;
    record.idleTimer = setTimeout(() => {
      record.idleTimer = undefined;
      void this.serially(record, async () => {
        if (!this.closed && isRecording(record.status)) this.interruptRecording(record);
      });
    }, this.options.browserIdleMs ?? 120_000);
    record.idleTimer.unref?.();
  }

  /** A browser run whose tab went silent (closed, crashed, asleep) or whose server stops. */
  private interruptRecording(record: RunRecord): void {
    this.hub.settle(record.status.id);
    this.setState(record, 'interrupted', { finishedAt: now() });
  }

  /** The tab posted its run's run/finished: the run is over, as it says. */
  private endRecording(record: RunRecord, state: 'completed' | 'stopped' | 'failed', step: number, lastCheckpoint: string | undefined): void {
    if (record.idleTimer) clearTimeout(record.idleTimer);
    record.idleTimer = undefined;
    this.hub.settle(record.status.id);
    this.setState(record, state, { step, finishedAt: now(), ...(lastCheckpoint ? { lastCheckpoint } : {}) });
  }

  private schedule(): void {
    if (this.closed) return;
    while (this.slots.size < this.maxConcurrent && this.queue.length) {
      const record = this.runs.get(this.queue.shift()!);
      if (!record || record.status.state !== 'queued') continue;
      this.slots.add(record.status.id);
      this.start(record).catch((e: Error) => {
        if (record.active) return this.crash(record, `could not start: ${e.message}`);
        this.slots.delete(record.status.id);
        record.status.error = { message: `could not start: ${e.message}` };
        this.setState(record, 'failed', { finishedAt: now() });
        this.schedule();
      });
    }
  }

  private async start(record: RunRecord): Promise<void> {
    if (record.status.executor === 'torch') return this.startTorch(record);
    const { id } = record.status;
    const pipeline = await this.store.readJson(id, 'pipeline.json');
    if (this.closed) {
      this.slots.delete(id); // still queued: the next server starts it
      return;
    }
    const control = new SharedArrayBuffer(4);
    const flags = new Int32Array(control);
    const start: WorkerStart = {
      runId: id, pipeline, outDir: this.store.dir(id), dataDir: resolve(this.options.dataDir),
      backend: NodeBackend.parse(record.status.backend), control, ...(record.status.resumeFrom ? { resume: join(this.store.checkpointsDir(id), record.status.resumeFrom) } : {}),
    };
    const worker = spawnRunWorker(start, this.options.workerEnv);
    // Pause and stop travel through shared memory: a worker busy in a step reads the flag before the next.
    const execution: Execution = {
      pause: () => Atomics.store(flags, 0, CONTROL.pause),
      resume: () => Atomics.store(flags, 0, CONTROL.run),
      stop: () => Atomics.store(flags, 0, CONTROL.stop),
      terminate: async () => {
        await worker.terminate();
      },
    };
    record.active = { execution, writer: this.store.appendEvents(id), ended: false };
    record.status.startedAt = now();
    this.setState(record, 'running');
    worker.on('message', (raw) => {
      const parsed = WorkerMessage.safeParse(raw);
      if (!parsed.success) return this.crash(record, `worker sent an invalid message: ${parsed.error.message}`);
      this.handle(record, parsed.data);
    });
    worker.on('error', (e) => this.crash(record, `worker failed: ${e.message}`));
    worker.on('exit', (code) => {
      if (record.active?.execution === execution && !record.active.ended) this.crash(record, `worker exited (code ${code}) before the run ended`);
    });
  }

  /** A torch run: export, launch and tail (torch.ts); its messages are a worker's. */
  private async startTorch(record: RunRecord): Promise<void> {
    const { id } = record.status;
    const plan = (await this.store.readJson(id, 'plan.json')) as Plan;
    if (this.closed) {
      this.slots.delete(id);
      return;
    }
    const settings = record.status.torch ?? { nproc: 1, device: 'auto' as const };
    const execution = new TorchRun({
      runId: id, runDir: this.store.dir(id), plan, dataDir: resolve(this.options.dataDir), nproc: settings.nproc, device: settings.device,
      ...(record.status.resumeFrom ? { resume: join(this.store.checkpointsDir(id), record.status.resumeFrom) } : {}),
      startStep: record.status.step, python: this.python, env: this.options.workerEnv ?? process.env,
      stopGraceMs: this.options.torchStopGraceMs ?? 30_000, pollMs: this.options.torchPollMs ?? 250,
      onMessage: (message) => {
        if (record.active?.execution === execution) this.handle(record, message);
      },
      onLaunched: (pid) => {
        if (record.active?.execution !== execution || record.active.ended) return;
        record.status.torch = { ...settings, pid };
        this.save(record); // the pid reaches status.json now: a server that dies leaves it for the next to clean up
      },
    });
    record.active = { execution, writer: this.store.appendEvents(id), ended: false };
    record.status.startedAt = now();
    this.setState(record, 'running');
    execution.start();
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
      this.observe(status, event);
    }
    // Published once the OS has the bytes: a watcher never sees an event history would lack.
    record.active!.writer.write(lines, () => this.hub.publish(status.id, wire));
    this.progress(record);
  }

  private observe(status: RunStatus, event: RunEvent): void {
    switch (event.type) {
      case 'run/started':
        status.totalSteps = event.data.totalSteps;
        status.step = event.step;
        // torch-cpu, torch-cudax8: what train.py found; webgpu, wasm: what the tab started.
        if (status.executor === 'torch' || status.executor === 'browser') status.backend = event.data.backend;
        break;
      case 'step':
        status.step = event.step;
        status.metrics = { ...event.data, ...(status.metrics.val_loss !== undefined ? { val_loss: status.metrics.val_loss } : {}) };
        break;
      case 'eval':
        status.metrics = { ...status.metrics, val_loss: event.data.val_loss };
        break;
      case 'checkpoint/saved':
        status.lastCheckpoint = event.data.name;
        break;
      case 'error':
        status.error = { message: event.data.message, ...(event.nodeId ? { nodeId: event.nodeId } : {}), ...(event.data.field ? { field: event.data.field } : {}) };
        break;
    }
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
    this.hub.settle(record.status.id);
    await active.execution.terminate();
    record.active = undefined;
    this.slots.delete(record.status.id);
    if (record.status.torch) record.status.torch = { ...record.status.torch, pid: undefined };
    this.setState(record, state, { finishedAt: now(), resumeFrom: undefined });
    this.schedule();
  }

  /** Records a state change: status.json now, listeners now. */
  private setState(record: RunRecord, state: RunState, extra: Partial<RunStatus> = {}): void {
    Object.assign(record.status, extra, { state });
    if (record.saveTimer) clearTimeout(record.saveTimer);
    record.saveTimer = undefined;
    this.save(record);
  }

  /** Progress (step, metrics): saved and announced at most once per PROGRESS_MS. */
  private progress(record: RunRecord): void {
    record.saveTimer ??= setTimeout(() => {
      record.saveTimer = undefined;
      this.save(record);
    }, PROGRESS_MS);
  }

  private save(record: RunRecord): void {
    record.status.updatedAt = now();
    const snapshot = { ...record.status };
    for (const listener of this.statusListeners) listener(snapshot);
    record.saving = record.saving.then(() => this.store.writeStatus(snapshot)).catch((e: Error) => {
      console.error(`run ${snapshot.id}: cannot write status.json: ${e.message}`);
    });
  }
}

function now(): string {
  return new Date().toISOString();
}

/** A browser run its tab is training (as far as the server knows). */
function isRecording(status: RunStatus): boolean {
  return status.executor === 'browser' && (status.state === 'running' || status.state === 'paused');
}

function closeWriter(writer: WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (writer.closed || writer.destroyed) return resolve();
    writer.end(() => resolve());
  });
}
