// Browser runs in the studio: starts a run in this tab (lib/browser-executor.ts) and feeds its
// events into the runs store, numbered as the server numbers them (seq 1, 2, 3…), so blocks, charts
// and errors come from the same reducer as server runs. The server records the run under the id it
// gives it (POST /api/runs with executor "browser"; lib/run-recorder.ts posts the events, log lines
// and checkpoints), so it is listed, compared, opened and kept after a reload like any run. When
// the server cannot record it, the run trains in this tab only, under a `browser-<timestamp>` id.
// While this tab trains a run its view comes from the worker, not the socket (run-client.ts's
// local feeds), and its status is synthesized here; the tab keeps its checkpoints and log lines.
import {
  downloadCheckpoint,
  downloadTrainLog,
  fetchRunCheckpoint,
  startBrowserRun,
  type BackendMessage,
  type BackendPreference,
  type BrowserRun,
  type BrowserRunOptions,
  type CheckpointPayload,
} from './browser-executor';
import type { BrowserDataset } from '../engine/browser/protocol';
import type { RunEvent } from '../engine/events';
import { endLocalFeed, feedLocally, submitRun } from './run-client';
import { RunRecorder } from './run-recorder';
import { serveTabRequests } from './tab-requests';
import type { RunStatus, WireEvent } from './run-stream';
import { runsStore, type SubmitProblem } from './runs-store';

/** Ids of runs trained in this tab only (the server did not record them) start with this. */
export const BROWSER_RUN_PREFIX = 'browser-';

interface Held {
  run: BrowserRun;
  seq: number;
  status: RunStatus;
  backend?: BackendMessage;
  /** The server's record of the run; undefined for a run in this tab only. */
  recorder?: RunRecorder;
  /** Why the server does not record it (the run trains here only), when it does not. */
  notRecorded?: string;
}

const held = new Map<string, Held>();

/** Whether `runId` names a run trained in this tab only, which the server does not know. */
export function isTabOnlyRun(runId: string | null | undefined): boolean {
  return !!runId && runId.startsWith(BROWSER_RUN_PREFIX);
}

/** Whether this tab trains (or trained) `runId`: it holds the run's checkpoints and log lines. */
export function isBrowserRunHere(runId: string | null | undefined): boolean {
  return !!runId && held.has(runId);
}

/** The backend a browser run uses, once the worker has chosen it. */
export function browserBackend(runId: string): BackendMessage | undefined {
  return held.get(runId)?.backend;
}

/** Whether the server records a run this tab trains: undefined when it does, else why not. */
export function notRecorded(runId: string): string | undefined {
  const h = held.get(runId);
  return h?.notRecorded ?? h?.recorder?.stopped;
}

/** `webgpu (google / swiftshader)`; fallbacks as `webgpu: reason; webgl: reason`. */
export function describeBackend(b: BackendMessage): { label: string; fallbacks: string } {
  return {
    label: b.detail ? `${b.name} (${b.detail})` : b.name,
    fallbacks: b.fallbacks.map((f) => `${f.backend}: ${f.reason}`).join('; '),
  };
}

/** Publishes the synthesized status; its lastSeq orders it against the stream's own end. */
function publish(h: Held, patch: Partial<RunStatus>): void {
  h.status = { ...h.status, ...patch, lastSeq: h.seq, updatedAt: new Date().toISOString() };
  runsStore.getState().applyStatus(h.status);
}

export type StartedBrowserRun =
  | {
      ok: true;
      runId: string;
      /** Compile errors arrive asynchronously; called when the worker refuses the pipeline. */
      problems: Promise<SubmitProblem[]>;
      /** Set when the run trains in this tab only: why the server did not record it. */
      notice?: string;
    }
  /** The server found problems in the pipeline: nothing started. */
  | { ok: false; message: string; problems: SubmitProblem[] };

export interface BrowserRunCallbacks {
  /** Something the user should know that does not stop the run (the recording stopped, a checkpoint not stored). */
  onNotice?(message: string): void;
  /** The files a `source: "files"` dataset reads (picked by the user; see lib/browser-data.ts). */
  data?: BrowserDataset;
}

/**
 * Records `pipeline` as a browser run on the server, starts it in a Web Worker and streams it into
 * the runs store under the server's id (a `browser-` id when the server cannot record it).
 * @example const started = await startStudioBrowserRun(doc, 'auto'); if (started.ok) attachRun(started.runId);
 */
export async function startStudioBrowserRun(
  pipeline: unknown,
  backend: BackendPreference = 'auto',
  name = 'browser run',
  callbacks: BrowserRunCallbacks = {},
): Promise<StartedBrowserRun> {
  const record = await submitRun(pipeline, 'browser', { backend });
  // The server compiled it and found errors: the worker would find the same ones.
  if (!record.ok && record.status === 400 && record.problems.length) return { ok: false, message: record.message, problems: record.problems };
  const runId = record.ok ? record.id : `${BROWSER_RUN_PREFIX}${Date.now()}`;
  const { problems } = trainHere(runId, pipeline, backend, { name }, callbacks, record.ok ? undefined : record.message);
  return { ok: true, runId, problems, ...(record.ok ? {} : { notice: `The run trains in this tab only: the server did not record it (${record.message}).` }) };
}

/** The checkpoint a fork starts from (POST /api/runs `resume`). */
export type ForkSource = { run: string; checkpoint: string; restartSchedule?: boolean };

/**
 * Records a fork of `fork.run` at `fork.checkpoint` as a browser run (the server checks it and
 * copies the checkpoint into the fork's folder), reads that copy back and starts this tab's worker
 * from it: the run continues at the checkpoint's step + 1 (1 when the schedule restarts). A fork
 * never trains in this tab only: without the server's record there is no checkpoint to read.
 * @example const started = await startStudioBrowserFork(doc, 'wasm', 'fork', { run, checkpoint: 'ckpt-000020' });
 */
export async function startStudioBrowserFork(
  pipeline: unknown,
  backend: BackendPreference,
  name: string,
  fork: ForkSource,
  callbacks: BrowserRunCallbacks = {},
): Promise<StartedBrowserRun> {
  const record = await submitRun(pipeline, 'browser', { backend, resume: fork });
  if (!record.ok) return { ok: false, message: record.message, problems: record.problems };
  let resume: CheckpointPayload;
  try {
    resume = await fetchRunCheckpoint(record.id, fork.checkpoint);
  } catch (error) {
    const message = (error as Error).message;
    // The server holds a run no tab will train: end its record as failed rather than leave it to time out.
    const recorder = new RunRecorder(record.id, {});
    recorder.addEvents([
      { type: 'error', step: 0, data: { message } },
      { type: 'run/finished', step: 0, data: { status: 'failed', elapsed_s: 0 } },
    ]);
    await recorder.finish();
    return { ok: false, message, problems: [] };
  }
  const start = { resume, ...(fork.restartSchedule ? { restartSchedule: true } : {}) };
  const { problems } = trainHere(record.id, pipeline, backend, { name }, callbacks, undefined, start);
  return { ok: true, runId: record.id, problems };
}

/** A run the server recorded already (a browser sweep's point), trained in this tab. */
export interface TabTraining {
  /** Compile errors, when the worker refuses the pipeline (else empty once the run is done). */
  problems: Promise<SubmitProblem[]>;
  /** The run's end as the tab saw it, once the server holds all of it (or its recording stopped). */
  finished: Promise<RunStatus['state']>;
  stop(): void;
}

/**
 * Trains `status.id`, which the server recorded already (a browser sweep's point, claimed by this
 * tab), in a Web Worker, recording it like a run this tab submitted.
 * @example const training = trainRecordedBrowserRun(status, pipeline, 'wasm'); await training.finished;
 */
export function trainRecordedBrowserRun(
  status: Pick<RunStatus, 'id' | 'name' | 'sweep'>,
  pipeline: unknown,
  backend: BackendPreference,
  callbacks: BrowserRunCallbacks = {},
): TabTraining {
  return trainHere(status.id, pipeline, backend, { name: status.name, ...(status.sweep ? { sweep: status.sweep } : {}) }, callbacks, undefined);
}

/**
 * Starts `runId` in a Web Worker of this tab (from `start.resume`, a fork's checkpoint, when given)
 * and feeds it into the runs store; unless
 * `notRecordedWhy` says why the server does not hold it, its events, lines and checkpoints go to
 * the server (RunRecorder) and the tab answers the API's live requests for it.
 */
function trainHere(
  runId: string,
  pipeline: unknown,
  backend: BackendPreference,
  seed: Pick<RunStatus, 'name' | 'sweep'>,
  callbacks: BrowserRunCallbacks,
  notRecordedWhy: string | undefined,
  start: Pick<BrowserRunOptions, 'resume' | 'restartSchedule'> = {},
): TabTraining {
  feedLocally(runId);
  const store = runsStore.getState();
  store.resetRun(runId);
  let reportProblems!: (p: SubmitProblem[]) => void;
  const problems = new Promise<SubmitProblem[]>((r) => (reportProblems = r));
  const now = new Date().toISOString();
  const h = {
    seq: 0,
    status: {
      id: runId,
      ...seed,
      state: 'running',
      executor: 'browser',
      backend: '…',
      step: 0,
      totalSteps: 0,
      metrics: {},
      createdAt: now,
      updatedAt: now,
      startedAt: now,
      lastSeq: 0,
    },
    ...(notRecordedWhy === undefined ? {} : { notRecorded: notRecordedWhy }),
  } as Held;
  if (notRecordedWhy === undefined) {
    h.recorder = new RunRecorder(runId, {
      onStopped: (reason) => {
        callbacks.onNotice?.(`The server stopped recording the run (${reason}); it trains on in this tab.`);
        publish(h, {});
      },
      onCheckpointRefused: (checkpoint, reason) => callbacks.onNotice?.(`${checkpoint} is not stored on the server: ${reason}.`),
    });
  }
  /** Numbers a batch of the run's events, applies it here and hands it to the recorder. */
  const feed = (events: RunEvent[]) => {
    const wire: WireEvent[] = events.map((e) => ({ ...e, runId, seq: ++h.seq }) as WireEvent);
    runsStore.getState().applyBatches([{ runId, events: wire }]);
    h.recorder?.addEvents(events);
    for (const e of events) {
      if (e.type === 'run/started') publish(h, { totalSteps: e.data.totalSteps, step: e.step ?? 0 });
      if (e.type === 'run/finished') publish(h, { state: e.data.status, step: e.step ?? h.status.step, finishedAt: new Date().toISOString() });
    }
  };
  h.run = startBrowserRun({
    pipeline,
    backend,
    ...start,
    ...(callbacks.data ? { data: callbacks.data } : {}),
    onBackend: (b) => {
      h.backend = b;
      publish(h, { backend: b.name });
    },
    onEvents: feed,
    onLine: (file, line) => h.recorder?.addLine(file, line),
    onCheckpoint: (checkpoint) => h.recorder?.addCheckpoint(checkpoint),
    onDiagnostics: (diagnostics) => {
      const errors = diagnostics.filter((d) => d.severity === 'error');
      reportProblems(errors.map(({ nodeId, edgeId, field, code, message }) => ({ nodeId, edgeId, field, code, message })));
      const first = errors[0];
      const error = first ? { message: first.message, ...(first.nodeId ? { nodeId: first.nodeId } : {}) } : { message: 'the pipeline did not compile' };
      // The worker refused it before any event: the run's stream (and the server's record) ends here.
      feed([
        { type: 'error', step: 0, ...(error.nodeId ? { nodeId: error.nodeId } : {}), data: { message: error.message } },
        { type: 'run/finished', step: 0, data: { status: 'failed', elapsed_s: 0 } },
      ]);
      publish(h, { state: 'failed', error });
    },
  });
  if (h.recorder) void serveTabRequests(runId, h.run);
  const finished = h.run.done.then(async () => {
    reportProblems([]);
    // Once the server holds the whole run, its stream is the server's again (a resume continues there).
    if (h.recorder && (await h.recorder.finish())) endLocalFeed(runId);
    return h.status.state;
  });
  held.set(runId, h);
  publish(h, {});
  return { problems, finished, stop: () => h.run.stop() };
}

/**
 * Pause / resume / stop a browser run this tab trains. A resume after a stop is not possible in the
 * tab (the worker is gone): the caller gets false (the server may continue a recorded run).
 */
export function controlBrowserRun(runId: string, action: 'pause' | 'resume' | 'stop'): boolean {
  const h = held.get(runId);
  if (!h) return false;
  const state = h.status.state;
  if (state !== 'running' && state !== 'paused' && state !== 'queued') return false;
  h.run[action]();
  if (action === 'pause') publish(h, { state: 'paused' });
  if (action === 'resume') publish(h, { state: 'running' });
  if (action !== 'stop') h.recorder?.setPaused(action === 'pause');
  return true;
}

/** A checkpoint a browser run still keeps in this tab (keep_last prunes them), or undefined. */
export function browserCheckpoint(runId: string, name: string): CheckpointPayload | undefined {
  return held.get(runId)?.run.checkpoints.get(name);
}

/**
 * Whether the server holds checkpoint `name` of `runId`: a run this tab trains knows what it
 * uploaded; any other recorded run's checkpoints are the server's to begin with.
 */
export function checkpointOnServer(runId: string, name: string): boolean {
  if (isTabOnlyRun(runId)) return false;
  const h = held.get(runId);
  return !h || !!h.recorder?.hasCheckpoint(name);
}

/** Downloads a checkpoint of a browser run (its .safetensors and .json); false if it is gone. */
export function downloadBrowserCheckpoint(runId: string, name: string): boolean {
  const checkpoint = held.get(runId)?.run.checkpoints.get(name);
  if (!checkpoint) return false;
  downloadCheckpoint(checkpoint);
  return true;
}

/** Downloads a browser run's train_log.jsonl so far; false if the run is not in this tab. */
export function downloadBrowserTrainLog(runId: string): boolean {
  const h = held.get(runId);
  if (!h) return false;
  downloadTrainLog(h.run.logLines);
  return true;
}

// The page going away ends its runs: the server hears it at once rather than after its timeout.
if (typeof window !== 'undefined') {
  window.addEventListener('pagehide', () => {
    for (const h of held.values()) {
      if (h.status.state === 'running' || h.status.state === 'paused') h.recorder?.close();
    }
  });
}
