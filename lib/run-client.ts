// The browser's side of the server's runs: one socket.io connection (same origin) carrying the
// event streams of the runs on screen, and the HTTP calls (submit, pause/resume/stop, list,
// executors, checkpoint uploads, the PyTorch export). Batches are queued as they arrive and applied
// to the runs store once per animation frame, so a replay of thousands of events renders once, not
// thousands of times.
//
// Reconnection: on every `connect` (the first, a dropped connection, a server restart) each
// watched run is subscribed again with `after` = the last seq applied. The server then sends
// exactly what was missed; anything sent twice is dropped by seq in the reducer.
//
// Local feeds: a browser run this tab trains (lib/browser-runs.ts) is fed into the store from its
// worker, ahead of what the server has stored; it is not subscribed (the socket would echo the
// tab's own events back) and the server's statuses of it are left aside until the feed ends.
import { checkpointUpload, type CheckpointPayload } from './browser-executor';
import { useEffect } from 'react';
import { io, type Socket } from 'socket.io-client';
import type { Pipeline } from './document';
import type { RunStatus, RunView, WireEvent } from './run-stream';
import { runsStore, useRuns, type Executor, type ExecutorsInfo, type SubmitProblem } from './runs-store';

type Batch = { runId: string; events: WireEvent[] };
type SubscribeAck = { ok: true; status: RunStatus } | { ok: false; error: string };

let socket: Socket | undefined;
/** Runs being watched, with how many components watch each. */
const watched = new Map<string, number>();
let queue: Batch[] = [];
let frame: number | undefined;
let fallback: ReturnType<typeof setTimeout> | undefined;
/** Runs this tab feeds into the store itself (browser runs it trains). */
const localFeeds = new Set<string>();

/** From now on this tab feeds `runId` itself: no subscription, no server statuses for it. */
export function feedLocally(runId: string): void {
  localFeeds.add(runId);
  // A view watched it on the server (a sweep's point before this tab took it up): the tab's feed replaces that.
  if (watched.has(runId) && socket?.connected) socket.emit('unsubscribe', { runId });
}

/** The tab's feed of `runId` ended and the server holds all of it: its watchers follow the server now. */
export function endLocalFeed(runId: string): void {
  if (!localFeeds.delete(runId)) return;
  if (watched.has(runId)) subscribe(runId);
}

/** Applies the queued batches now (before a re-subscribe reads lastSeq, and once per frame). */
function flush(): void {
  if (frame !== undefined) cancelAnimationFrame(frame);
  if (fallback !== undefined) clearTimeout(fallback);
  frame = fallback = undefined;
  if (!queue.length) return;
  const batches = queue;
  queue = [];
  runsStore.getState().applyBatches(batches);
}

function schedule(): void {
  if (frame !== undefined) return;
  frame = requestAnimationFrame(flush);
  // A hidden tab gets no animation frames: apply anyway, less often, so the queue stays short.
  fallback = setTimeout(flush, 500);
}

function subscribe(runId: string): void {
  if (localFeeds.has(runId)) return;
  const s = getSocket();
  if (!s.connected) return; // the `connect` handler subscribes
  flush();
  const after = runsStore.getState().runs[runId]?.lastSeq ?? 0;
  s.emit('subscribe', { runId, after }, (ack: SubscribeAck) => {
    if (ack.ok) return runsStore.getState().applyStatus(ack.status);
    if (/no run/.test(ack.error)) return runsStore.getState().markMissing(runId);
    if (/beyond/.test(ack.error) && after > 0) {
      // The server's stream is shorter than ours (its runs folder was replaced): start over.
      runsStore.getState().resetRun(runId);
      subscribe(runId);
    }
  });
}

/** The page's one socket, created on first use. */
export function getSocket(): Socket {
  if (socket) return socket;
  socket = io({ path: '/socket.io' });
  socket.on('connect', () => {
    for (const runId of watched.keys()) subscribe(runId);
  });
  socket.on('events', (batch: Batch) => {
    if (!watched.has(batch.runId) || localFeeds.has(batch.runId) || !batch.events?.length) return;
    queue.push(batch);
    schedule();
  });
  socket.on('runs', (status: RunStatus) => {
    if (!localFeeds.has(status.id)) runsStore.getState().applyStatus(status);
  });
  return socket;
}

/**
 * Watches a run's events until the returned function is called (counted: several components may
 * watch the same run; the last one to leave unsubscribes). The view stays in the store.
 * @example const stop = watchRun(id); ... stop();
 */
export function watchRun(runId: string): () => void {
  const count = watched.get(runId) ?? 0;
  watched.set(runId, count + 1);
  // An empty view at once, so the subscribe ack's status has somewhere to go.
  if (!runsStore.getState().runs[runId]) runsStore.getState().resetRun(runId);
  if (count === 0) subscribe(runId);
  return () => {
    const left = (watched.get(runId) ?? 1) - 1;
    if (left > 0) return void watched.set(runId, left);
    watched.delete(runId);
    if (socket?.connected) socket.emit('unsubscribe', { runId });
  };
}

/**
 * Streams a run into the store while the component is mounted; returns the run's view.
 * @example const run = useRunStream(runId); run?.charts.loss
 */
export function useRunStream(runId: string | null | undefined): RunView | undefined {
  useEffect(() => (runId ? watchRun(runId) : undefined), [runId]);
  return useRuns((s) => (runId ? s.runs[runId] : undefined));
}

/** Keeps the runs list fresh: `GET /api/runs` once, then the `runs` broadcasts. */
export function useRunsList(): void {
  useEffect(() => {
    getSocket();
    let cancelled = false;
    const load = async () => {
      try {
        const reply = await fetch('/api/runs', { cache: 'no-store' });
        if (!reply.ok) return;
        const { runs } = (await reply.json()) as { runs: RunStatus[] };
        if (!cancelled) runsStore.getState().setList(runs.filter((r) => !localFeeds.has(r.id)));
      } catch {
        // offline: the broadcasts fill in what they can
      }
    };
    void load();
    // After a reconnect the list may have missed broadcasts.
    const s = getSocket();
    s.on('connect', load);
    return () => {
      cancelled = true;
      s.off('connect', load);
    };
  }, []);
}

async function readJson(reply: Response): Promise<Record<string, unknown>> {
  try {
    return (await reply.json()) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** `status`: the HTTP status of a refusal (absent when the server could not be reached). */
export type SubmitResult = { ok: true; id: string } | { ok: false; message: string; problems: SubmitProblem[]; status?: number };

/**
 * A checkpoint a server run starts from: an upload (POST /api/checkpoints) or another run's (with
 * a pipeline of its own, a fork; `restartSchedule` starts its steps and schedule at 0).
 */
export type ResumeSource = { upload: string } | { run: string; checkpoint: string; restartSchedule?: boolean };

/**
 * Starts a run of `pipeline` on the server, or records a browser run (executor 'browser': the
 * tab trains it); `resume` starts it from a checkpoint; `backend` is the tfjs backend asked for.
 * @example const r = await submitRun(doc, 'node'); if (r.ok) attach(r.id);
 */
export async function submitRun(pipeline: unknown, executor: Executor, options: { resume?: ResumeSource; backend?: string } = {}): Promise<SubmitResult> {
  let reply: Response;
  try {
    const body = { pipeline, executor, ...(options.resume ? { resume: options.resume } : {}), ...(options.backend ? { backend: options.backend } : {}) };
    reply = await fetch('/api/runs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  } catch (error) {
    return { ok: false, message: `the server cannot be reached (${(error as Error).message})`, problems: [] };
  }
  const body = await readJson(reply);
  if (reply.status === 201 && typeof body.id === 'string') return { ok: true, id: body.id };
  return {
    ok: false,
    message: String(body.error ?? `the server answered ${reply.status}`),
    problems: Array.isArray(body.errors) ? (body.errors as SubmitProblem[]) : [],
    status: reply.status,
  };
}

/** The server's reply to an upload (docs/api.md, POST /api/checkpoints). */
export interface UploadedCheckpoint {
  id: string;
  name: string;
  step: number;
  bytes: number;
  executor?: string;
}

export type UploadResult = { ok: true; upload: UploadedCheckpoint } | { ok: false; message: string };

/**
 * Uploads a checkpoint (a browser run's, from memory) to start server runs from. The body is the
 * metadata JSON followed by the .safetensors bytes; a header says where the JSON ends.
 * @example const r = await uploadCheckpoint(run.checkpoints.get('ckpt-000010')!); if (r.ok) submitRun(doc, 'node', { resume: { upload: r.upload.id } });
 */
export async function uploadCheckpoint(checkpoint: CheckpointPayload): Promise<UploadResult> {
  let reply: Response;
  try {
    reply = await fetch(`/api/checkpoints?name=${encodeURIComponent(checkpoint.name)}`, checkpointUpload(checkpoint));
  } catch (error) {
    return { ok: false, message: `the server cannot be reached (${(error as Error).message})` };
  }
  const body = await readJson(reply);
  if (reply.status === 201 && typeof body.id === 'string') return { ok: true, upload: body as unknown as UploadedCheckpoint };
  if (reply.status === 404 || reply.status === 405) return { ok: false, message: 'this server does not take checkpoint uploads' };
  return { ok: false, message: String(body.error ?? `the server answered ${reply.status}`) };
}

export type RunAction = 'pause' | 'resume' | 'stop';

/**
 * Pauses, resumes or stops a run; the reply's status goes to the store at once.
 * Returns an error message, or null.
 */
export async function controlRun(runId: string, action: RunAction): Promise<string | null> {
  try {
    const reply = await fetch(`/api/runs/${encodeURIComponent(runId)}/${action}`, { method: 'POST' });
    const body = await readJson(reply);
    if (!reply.ok) return String(body.error ?? `the server answered ${reply.status}`);
    runsStore.getState().applyStatus(body as unknown as RunStatus);
    return null;
  } catch (error) {
    return `the server cannot be reached (${(error as Error).message})`;
  }
}

/** Asks which executors the server has; null when it cannot say (an older server: node only). */
export async function fetchExecutors(): Promise<ExecutorsInfo | null> {
  try {
    const reply = await fetch('/api/executors', { cache: 'no-store' });
    if (!reply.ok) return null;
    return (await reply.json()) as ExecutorsInfo;
  } catch {
    return null;
  }
}

export type ExportResult = { ok: true; blob: Blob; fileName: string } | { ok: false; message: string; problems: SubmitProblem[] };

/** The pipeline as a PyTorch project (train.py, model.py, data), zipped by the server. */
export async function exportTorch(pipeline: Pipeline): Promise<ExportResult> {
  let reply: Response;
  try {
    reply = await fetch('/api/export/torch', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pipeline }) });
  } catch (error) {
    return { ok: false, message: `the server cannot be reached (${(error as Error).message})`, problems: [] };
  }
  if (reply.status === 404 || reply.status === 405) return { ok: false, message: 'this server has no PyTorch export', problems: [] };
  if (!reply.ok) {
    const body = await readJson(reply);
    return {
      ok: false,
      message: String(body.error ?? `the server answered ${reply.status}`),
      problems: Array.isArray(body.errors) ? (body.errors as SubmitProblem[]) : [],
    };
  }
  const disposition = reply.headers.get('content-disposition') ?? '';
  const fileName = /filename="([^"]+)"/.exec(disposition)?.[1] ?? 'pipeline-torch.zip';
  return { ok: true, blob: await reply.blob(), fileName };
}

/** For the e2e tests: drops the connection as a network failure would (socket.io reconnects). */
export function dropConnection(): void {
  socket?.io.engine?.close();
}
