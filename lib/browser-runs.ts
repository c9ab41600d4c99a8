// Browser runs in the studio: starts a run in this tab (lib/browser-executor.ts), numbers its
// events like the server does (runId `browser-<timestamp>`, seq 1, 2, 3…) and feeds them into the
// runs store, so blocks, charts and errors come from the same reducer as server runs. The run
// object stays here (pause/resume/stop, in-memory checkpoints, train_log.jsonl); a status is
// synthesized for the panel, since no server broadcasts one.
import {
  downloadCheckpoint, downloadTrainLog, startBrowserRun,
  type BackendMessage, type BackendPreference, type BrowserRun, type CheckpointPayload,
} from './browser-executor';
import type { RunStatus, WireEvent } from './run-stream';
import { runsStore, type SubmitProblem } from './runs-store';

/** Run ids of browser runs start with this (server ids never do). */
export const BROWSER_RUN_PREFIX = 'browser-';

interface Held {
  run: BrowserRun;
  seq: number;
  status: RunStatus;
  backend?: BackendMessage;
}

const held = new Map<string, Held>();

/** Whether `runId` names a run trained in this tab. */
export function isBrowserRun(runId: string | null | undefined): boolean {
  return !!runId && runId.startsWith(BROWSER_RUN_PREFIX);
}

/** The backend a browser run uses, once the worker has chosen it. */
export function browserBackend(runId: string): BackendMessage | undefined {
  return held.get(runId)?.backend;
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

export interface StartedBrowserRun {
  runId: string;
  /** Compile errors arrive asynchronously; called when the worker refuses the pipeline. */
  problems: Promise<SubmitProblem[]>;
}

/**
 * Starts `pipeline` in a Web Worker and streams it into the runs store under a new id.
 * @example const { runId } = startStudioBrowserRun(doc, 'auto'); attachRun(runId);
 */
export function startStudioBrowserRun(pipeline: unknown, backend: BackendPreference = 'auto', name = 'browser run'): StartedBrowserRun {
  const runId = `${BROWSER_RUN_PREFIX}${Date.now()}`;
  const store = runsStore.getState();
  store.resetRun(runId);
  let reportProblems!: (p: SubmitProblem[]) => void;
  const problems = new Promise<SubmitProblem[]>((r) => (reportProblems = r));
  const now = new Date().toISOString();
  const h: Held = {
    seq: 0,
    status: {
      id: runId, name, state: 'running', executor: 'browser', backend: '…', step: 0, totalSteps: 0,
      metrics: {}, createdAt: now, updatedAt: now, startedAt: now, lastSeq: 0,
    },
  } as Held;
  h.run = startBrowserRun({
    pipeline,
    backend,
    onBackend: (b) => {
      h.backend = b;
      publish(h, { backend: b.name });
    },
    onEvents: (events) => {
      const wire: WireEvent[] = events.map((e) => ({ ...e, runId, seq: ++h.seq }) as WireEvent);
      runsStore.getState().applyBatches([{ runId, events: wire }]);
      for (const e of events) {
        if (e.type === 'run/started') publish(h, { totalSteps: e.data.totalSteps, step: e.step ?? 0 });
        if (e.type === 'run/finished') publish(h, { state: e.data.status, step: e.step ?? h.status.step, finishedAt: new Date().toISOString() });
      }
    },
    onDiagnostics: (diagnostics) => {
      const errors = diagnostics.filter((d) => d.severity === 'error');
      reportProblems(errors.map(({ nodeId, edgeId, field, code, message }) => ({ nodeId, edgeId, field, code, message })));
      const first = errors[0];
      publish(h, { state: 'failed', error: first ? { message: first.message, ...(first.nodeId ? { nodeId: first.nodeId } : {}) } : { message: 'the pipeline did not compile' } });
    },
  });
  h.run.done.then(() => reportProblems([]));
  held.set(runId, h);
  publish(h, {});
  return { runId, problems };
}

/**
 * Pause / resume / stop a browser run. A resume after a stop is not possible in the tab (the
 * worker is gone): the caller gets false.
 */
export function controlBrowserRun(runId: string, action: 'pause' | 'resume' | 'stop'): boolean {
  const h = held.get(runId);
  if (!h) return false;
  const state = h.status.state;
  if (state !== 'running' && state !== 'paused' && state !== 'queued') return false;
  h.run[action]();
  if (action === 'pause') publish(h, { state: 'paused' });
  if (action === 'resume') publish(h, { state: 'running' });
  return true;
}

/** A checkpoint a browser run still keeps in this tab (keep_last prunes them), or undefined. */
export function browserCheckpoint(runId: string, name: string): CheckpointPayload | undefined {
  return held.get(runId)?.run.checkpoints.get(name);
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
