// The run manager: the server's runs and what can be asked of them. It takes submitted pipelines
// (submission.ts checks them), queues them and gives each a training slot in turn; executions.ts
// has their executor (executors/: a worker thread, PyTorch processes) train them and turns their
// events into their numbered, stored and broadcast stream; records.ts keeps their statuses. Lifecycle of
// a node or torch run:
//   queued -> running <-> paused -> completed | stopped | failed
//   running | paused when the server dies -> interrupted (at the next startup)
//   interrupted | stopped -> (resume) queued -> running, from the last checkpoint
// A run may also start from an uploaded checkpoint or another run's (resume-source.ts): it is
// copied into the run's own checkpoints/ at submission, so the run starts, and later resumes, as
// if it had saved it itself.
// A browser run (executor "browser") trains in a tab; the server only records it
// (browser-recording.ts, where its lifecycle is); once interrupted or stopped, it resumes here.
// A browser sweep's points wait `queued` for the tab that launched the sweep, which trains them one
// after another; they never enter this queue.
import { join, resolve } from 'node:path';
import type { CheckpointEntry } from '../../engine/checkpoint/checkpoint-store';
import { DEFAULT_PYTHON, detectTorch, type TorchInfo } from '../../engine/node/torch-launch';
import { DEFAULT_EXECUTOR } from '../../engine/executors';
import { directoryCheckpointStore } from '../../engine/node/checkpoint-dir';
import type { EventBatch } from './browser-batch';
import { awaitsTab, BrowserRecording, isRecording } from './browser-recording';
import { RunExecutions } from './executions';
import { executorFor, type ExecutorServer } from './executors';
import { newRunId } from './ids';
import { runMemoryBudget } from './memory-budget';
import { now, RunRecords } from './records';
import { RunActionError, type SubmitRefusal } from './refusals';
import { lastCheckpointOnDisk, resumePoint, storedSteps } from './resume-point';
import { checkSubmission, type Submission } from './submission';
import { FINAL_STATES, RunFolders, type RunStatus } from './run-folders';
import { EventHub } from './stream';
import { UploadStore, type CheckedCheckpoint } from './uploads';
import { sampleSettings, type PromptRecord, type SampleRequest } from '../../engine/runtime/ask';
import type { EditRequest } from '../../engine/runtime/edits';
import { editRun, sampleLiveRun } from './live';
import { forkCheckpoint, PARENT_PIPELINE_FILE } from './fork';
import { TabRequests, type TabAnswer, type TabRequest } from './tab-requests';
import type { RunRecord } from './records';
import { readPrompts, recordPrompt } from './prompts';
import { sampleCheckpoint } from './sample';

export { RunActionError, type SubmitError, type SubmitRefusal } from './refusals';
export type { ResumeSource } from './resume-source';
export type { Submission } from './submission';

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
  /** How long a stopped node run may take to end its step before its worker is ended (ms). Default 30 000. */
  stopGraceMs?: number;
  /** How often a torch run's folder is read (ms). Default 250. */
  torchPollMs?: number;
  /** How long a browser run may go without a batch from its tab before it is interrupted (ms). Default 120 000. */
  browserIdleMs?: number;
  /** Bytes one run may take (MAX_RUN_MEMORY): larger estimates are refused. Default half the machine's RAM. */
  maxRunMemory?: number;
}

export class RunManager {
  readonly store: RunFolders;
  readonly hub: EventHub;
  /** Checkpoints uploaded to start runs from: RUNS_DIR/uploads/. */
  readonly uploads: UploadStore;
  private readonly runs: RunRecords;
  private readonly recording: BrowserRecording;
  private readonly executions: RunExecutions;
  /** What the executors are lent: folders, settings, python's torch. */
  readonly executorServer: ExecutorServer;
  private queue: string[] = [];
  /** Live requests waiting for browser runs' tabs, by run id. */
  private readonly tabs = new Map<string, TabRequests>();
  /** Runs holding a training slot: starting (worker not yet spawned) or active. */
  private slots = new Set<string>();
  private closed = false;
  private readonly maxConcurrent: number;
  private torch: Promise<TorchInfo> | undefined;

  constructor(private readonly options: RunManagerOptions) {
    this.store = new RunFolders(resolve(options.runsDir));
    this.uploads = new UploadStore(join(resolve(options.runsDir), 'uploads'));
    this.hub = new EventHub((id, after) => this.store.readEvents(id, after), options.flushMs ?? 100);
    this.runs = new RunRecords(this.store);
    this.recording = new BrowserRecording({ runs: this.runs, store: this.store, hub: this.hub, idleMs: options.browserIdleMs ?? 120_000 });
    this.maxConcurrent = Math.max(1, options.maxConcurrentRuns ?? 1);
    // OpenBLAS's thread count is process-wide: runs that share the process get one thread each.
    const env = options.workerEnv ?? process.env;
    const workerEnv = this.maxConcurrent > 1 && !env.PRETRAIN_BLAS_THREADS ? { ...env, PRETRAIN_BLAS_THREADS: '1' } : options.workerEnv;
    this.executorServer = {
      store: this.store, dataDir: options.dataDir, workerEnv, python: this.python,
      torchStopGraceMs: options.torchStopGraceMs ?? 30_000, torchPollMs: options.torchPollMs ?? 250,
      torchInfo: () => this.torchInfo(),
      closing: () => this.closed,
    };
    this.executions = new RunExecutions({
      stopGraceMs: options.stopGraceMs ?? 30_000,
      runs: this.runs, store: this.store, hub: this.hub, server: this.executorServer,
      release: (id) => {
        this.slots.delete(id);
        this.schedule();
      },
    });
  }

  /**
   * Loads the runs folder: every run becomes history again; runs that were running or paused
   * when the last server died are marked interrupted, and so are browser sweep points that waited
   * for their tab (it may claim them again); queued runs are queued again.
   */
  async init(): Promise<void> {
    for (const id of await this.store.list()) {
      const status = await this.store.readStatus(id);
      if (!status) continue;
      status.lastSeq = await this.store.repairEvents(id);
      const record = this.runs.add(status);
      this.hub.open(id, status.lastSeq);
      if (status.state === 'running' || status.state === 'paused' || awaitsTab(status)) {
        // A torch run's processes outlive a crashed server: end them before anyone resumes the run.
        executorFor(status.executor).recover?.(status, this.store.dir(id));
        const checkpoints = await directoryCheckpointStore(this.store.checkpointsDir(id)).list();
        this.runs.setState(record, 'interrupted', { finishedAt: now(), ...lastCheckpointOnDisk(checkpoints) });
      } else if (status.state === 'queued') {
        this.queue.push(id);
      }
    }
    this.schedule();
  }

  /** Listens to status changes and progress (at most about once a second per run). */
  onStatus(listener: (status: RunStatus) => void): () => void {
    return this.runs.onStatus(listener);
  }

  /** Newest first. */
  list(): RunStatus[] {
    return this.runs.list();
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

  /** Bytes one run may take on this server. */
  get memoryBudget(): number {
    return this.options.maxRunMemory ?? runMemoryBudget({});
  }

  /** The python interpreter torch runs use. */
  get python(): string {
    return this.options.python ?? DEFAULT_PYTHON;
  }

  /**
   * Compiles and queues a pipeline. Returns the new run's id, or why it was refused: the compiler's
   * errors, what keeps a torch run from being exported, a torch executor that cannot run it, or a
   * checkpoint to start from that cannot continue in it (nothing is created then).
   */
  async submit(submission: Submission): Promise<{ id: string } | SubmitRefusal> {
    const executor = executorFor(submission.executor ?? DEFAULT_EXECUTOR);
    const checked = await checkSubmission(submission, executor, {
      uploads: this.uploads, store: this.store, hasRun: (id) => this.runs.has(id), server: this.executorServer, memoryBudget: this.memoryBudget,
    });
    if ('error' in checked) return checked;
    const { plan, backend, start } = checked;
    const inTab = executor.trainsIn === 'tab';
    // A browser sweep's point waits for its turn in the tab; a lone browser run trains at once.
    const waitsForTab = inTab && submission.sweep !== undefined;
    const id = newRunId();
    const time = now();
    const status: RunStatus = {
      id, name: plan.name, state: 'queued', executor: executor.name, backend, ...checked.status,
      step: 0, totalSteps: plan.totalSteps, metrics: {}, createdAt: time, updatedAt: time, lastSeq: 0,
      ...(inTab && !waitsForTab ? { startedAt: time } : {}), ...(submission.sweep ? { sweep: submission.sweep } : {}),
    };
    // The filled-in pipeline (what trainPipeline writes too), so a queued run survives a restart.
    await this.store.writeJson(id, 'pipeline.json', plan.pipeline);
    await this.store.writeJson(id, 'plan.json', plan);
    if (start) {
      const { info, origin } = start;
      // A fork of another run's checkpoint may change the optimizer; an upload continues as it was.
      const fork = 'run' in origin ? forkCheckpoint(plan, start.checkpoint) : { checkpoint: start.checkpoint, optimizerState: 'kept' as const };
      const { checkpoint } = fork;
      await directoryCheckpointStore(this.store.checkpointsDir(id)).save(checkpoint.name, checkpoint.weights, checkpoint.meta);
      const restart = submission.resume?.restartSchedule === true;
      Object.assign(status, {
        // A tab applies restartSchedule as it starts; the server's executors clear it once started.
        step: restart ? 0 : info.step, resumeFrom: checkpoint.name, ...(restart && !inTab ? { restartSchedule: true } : {}),
        resumedFrom: { ...origin, name: info.name, step: info.step, ...(info.executor ? { executor: info.executor } : {}) },
        ...('run' in origin ? { parent: { run: origin.run, checkpoint: info.name, step: info.step, optimizerState: fork.optimizerState } } : {}),
      });
      await this.store.writeJson(id, PARENT_PIPELINE_FILE, checkpoint.meta.pipeline);
    }
    const record = this.runs.add(status);
    this.hub.open(id, 0);
    if (inTab) {
      // Nothing to start: the tab is training it already (or will, a sweep's point) and posts its events as they come.
      this.runs.setState(record, waitsForTab ? 'queued' : 'running');
      this.recording.watchIdle(record);
      return { id };
    }
    this.runs.setState(record, 'queued');
    this.queue.push(id);
    this.schedule();
    return { id };
  }

  pause(id: string): RunStatus {
    const record = this.runs.require(id);
    this.recording.refuseInTab(record, 'pause');
    if (record.status.state === 'paused') return record.status;
    if (record.status.state !== 'running' || !record.active) throw new RunActionError(409, `run ${id} is ${record.status.state}, not running`);
    record.active.execution.pause();
    this.runs.setState(record, 'paused');
    return record.status;
  }

  /**
   * Continues a paused run, or restarts an interrupted or stopped one from its last checkpoint
   * (from the start when it has none); the latter goes through the queue. An interrupted or
   * stopped browser run continues here, on the node executor.
   */
  async resume(id: string): Promise<RunStatus> {
    const record = this.runs.require(id);
    this.recording.refuseInTab(record, 'resume');
    const { state } = record.status;
    if (state === 'running' || state === 'queued') return record.status;
    if (state === 'paused' && record.active) {
      record.active.execution.resume();
      this.runs.setState(record, 'running');
      return record.status;
    }
    if (state !== 'interrupted' && state !== 'stopped') throw new RunActionError(409, `run ${id} is ${state}; only paused, stopped or interrupted runs resume`);
    const checkpoints = await directoryCheckpointStore(this.store.checkpointsDir(id)).list();
    const last = resumePoint(record.status, checkpoints, await storedSteps(this.store, id));
    // Lines past the checkpoint would be written again by the resumed run: drop them now.
    const step = last?.step ?? 0;
    await this.store.keepStepsUpTo(id, 'train_log.jsonl', step);
    await this.store.keepStepsUpTo(id, 'samples.jsonl', step);
    await this.store.keepStepsUpTo(id, 'insides.jsonl', step); // a torch run's inside views
    record.status.resumeFrom = last?.name;
    // Kept after the run starts again, so the pages can say where it continued and what is redone.
    record.status.resumed = { at: now(), ...(last ? { checkpoint: last.name } : {}), step, reached: record.status.step };
    const moveTo = executorFor(record.status.executor).resumesOn;
    if (moveTo) Object.assign(record.status, moveTo);
    record.status.error = undefined;
    record.status.finishedAt = undefined;
    record.status.step = step;
    this.runs.setState(record, 'queued');
    this.queue.push(id);
    this.schedule();
    return record.status;
  }

  /**
   * Stops a run after its current step (a queued run never starts); a node run whose step has not
   * finished within the grace period is ended there (stopGraceMs), resumable from its last checkpoint.
   */
  stop(id: string): RunStatus {
    const record = this.runs.require(id);
    this.recording.refuseInTab(record, 'stop');
    const { state } = record.status;
    if (state === 'queued') {
      this.queue = this.queue.filter((q) => q !== id);
      this.runs.setState(record, 'stopped', { finishedAt: now() });
    } else if ((state === 'running' || state === 'paused') && record.active) {
      this.executions.stop(record);
    } else if (!FINAL_STATES.includes(state)) {
      throw new RunActionError(409, `run ${id} is ${state}`);
    }
    return record.status;
  }

  /**
   * Asks the tab that trains a browser run to stop it (through the tab's long poll); the run ends
   * when the tab posts its run/finished. False when no tab trains it now.
   */
  askTabToStop(id: string): boolean {
    const tab = this.tabOf(this.runs.require(id));
    tab?.stop();
    return tab !== undefined;
  }

  /** A live edit of a running or paused run (live.ts): resolves once its executor has taken it. */
  edit(id: string, request: EditRequest): Promise<{ appliedAtStep: number }> {
    const record = this.runs.require(id);
    return editRun(record, request, this.store, this.tabOf(record));
  }

  /** A browser run's tab fetches the live requests made through the API (a long poll). */
  tabRequests(id: string): Promise<TabRequest[]> {
    const tab = this.tabOf(this.runs.require(id));
    if (!tab) throw new RunActionError(409, `run ${id} does not train in a browser tab now`);
    return tab.poll();
  }

  /** The tab's answer to one of them. */
  tabAnswer(id: string, requestId: number, answer: TabAnswer): void {
    const tab = this.tabs.get(id);
    if (!tab?.answer(requestId, answer)) throw new RunActionError(404, `run ${id} has no request ${requestId} waiting for this answer`);
  }

  /** The live requests of a browser run its tab trains; undefined for every other run. */
  private tabOf(record: RunRecord): TabRequests | undefined {
    const { id } = record.status;
    if (!isRecording(record.status)) {
      this.tabs.get(id)?.end();
      this.tabs.delete(id);
      return undefined;
    }
    let tab = this.tabs.get(id);
    if (!tab) this.tabs.set(id, (tab = new TabRequests()));
    return tab;
  }

  /**
   * Text from a run's model: live between two steps, or from one of its checkpoints (sample.ts);
   * kept in the run's prompts.jsonl (prompts.ts).
   */
  async sample(id: string, request: SampleRequest & { checkpoint?: string }): Promise<{ text: string; step: number }> {
    const record = this.runs.require(id);
    const answer = request.checkpoint !== undefined
      ? await sampleCheckpoint(this.store.checkpointsDir(id), request.checkpoint, request, resolve(this.options.dataDir))
      : await sampleLiveRun(record, request, this.tabOf(record));
    const { temperature, topK } = sampleSettings(request);
    await recordPrompt(this.store.dir(id), {
      prompt: request.prompt, settings: { max_new_tokens: request.maxNewTokens, temperature, top_k: topK },
      text: answer.text, step: answer.step, checkpoint: request.checkpoint ?? null, time: new Date().toISOString(),
    });
    return answer;
  }

  /** The run's answered prompts, newest `limit` (prompts.ts). */
  prompts(id: string, limit?: number): Promise<PromptRecord[]> {
    this.runs.require(id);
    return readPrompts(this.store.dir(id), limit);
  }

  /** A browser run's batch of events, posted by its tab (BrowserRecording.recordEvents). */
  async recordEvents(id: string, batch: EventBatch): Promise<{ lastSeq: number; stored: number }> {
    const reply = await this.recording.recordEvents(id, batch);
    const record = this.runs.get(id);
    if (record) this.tabOf(record); // a run that left its tab answers what still waits
    return reply;
  }

  /** A checkpoint a browser run's tab wrote (BrowserRecording.recordCheckpoint). */
  recordCheckpoint(id: string, checkpoint: CheckedCheckpoint): Promise<CheckpointEntry & { removed: string[] }> {
    return this.recording.recordCheckpoint(id, checkpoint);
  }

  /** Refuses a checkpoint upload before its body is read (BrowserRecording.checkRecording). */
  checkRecording(id: string): void {
    this.recording.checkRecording(id);
  }

  /** Ends every worker (their runs become interrupted, resumable later) and stops streaming. */
  async close(): Promise<void> {
    this.closed = true;
    await this.recording.close();
    await this.executions.interruptAll();
    this.slots.clear();
    await this.runs.flush();
    this.hub.close();
  }

  private schedule(): void {
    if (this.closed) return;
    while (this.slots.size < this.maxConcurrent && this.queue.length) {
      const record = this.runs.get(this.queue.shift()!);
      if (!record || record.status.state !== 'queued') continue;
      this.slots.add(record.status.id);
      this.executions.start(record);
    }
  }
}
