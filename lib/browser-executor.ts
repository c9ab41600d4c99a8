// The page's side of the browser executor: starts a run in a Web Worker (engine/browser/worker.ts),
// hands its batched RunEvents, backend choice, checkpoints and log lines to callbacks, and offers
// pause/resume/stop. Plus the file chores around it: checkpoints as the same two files the server
// writes (name.safetensors + name.json), train_log.jsonl, and reading an uploaded checkpoint back.
// No tfjs here: all of it loads in the worker, so the page stays light and responsive.
import { metaToJson } from '../engine/checkpoint/checkpoint-store';
import type { Diagnostic } from '../engine/compiler/diagnostics';
import type { RunEvent } from '../engine/events';
import type {
  BackendMessage,
  BackendPreference,
  BrowserBackendName,
  BrowserDataset,
  CheckpointPayload,
  EditMessage,
  FromWorker,
  MemoryTrace,
  SampleMessage,
  ToWorker,
} from '../engine/browser/protocol';
import type { SampleAnswer, SampleRequest } from '../engine/runtime/ask';
import type { RunResult } from '../engine/runtime/run';
import type { EditOutcome } from '../engine/runtime/run-edits';

export type { BackendMessage, BackendPreference, BrowserDataset, CheckpointPayload } from '../engine/browser/protocol';

/** The part of a Worker used here (a MessagePort-backed stand-in works in tests). */
export interface WorkerLike {
  postMessage(message: ToWorker, transfer: Transferable[]): void;
  onmessage: ((event: MessageEvent<FromWorker>) => void) | null;
  onerror?: ((event: ErrorEvent) => void) | null;
  terminate(): void;
}

export interface BrowserRunOptions {
  /** The pipeline document, as the editor holds it. */
  pipeline: unknown;
  /** Overrides pipeline.training.steps. */
  steps?: number;
  /** 'auto' (default): WebGPU, else WebGL, else WASM, else CPU. */
  backend?: BackendPreference;
  /** Most threads for the wasm backend (default: 1 for small models, else every core, up to 8). */
  wasmThreads?: number;
  /** Ids for dataset nodes with source 'files' (user files or text); 'brown' reads the app's corpus. */
  data?: BrowserDataset;
  /** Continue from a checkpoint (see readCheckpointFiles); its buffer is copied, not taken. */
  resume?: CheckpointPayload;
  /** With `resume`: start the step counter and the lr schedule at 0 (a fork's "restart schedule"). */
  restartSchedule?: boolean;
  /** RunEvents in order, about every 100 ms (docs/events.md). */
  onEvents?(events: RunEvent[]): void;
  /** The backend in use and why faster ones were skipped; arrives before `run/started`. */
  onBackend?(backend: BackendMessage): void;
  /** Each checkpoint as it is saved, before its `checkpoint/saved` event. */
  onCheckpoint?(checkpoint: CheckpointPayload): void;
  /** Each line appended to train_log.jsonl or samples.jsonl. */
  onLine?(file: 'train_log.jsonl' | 'samples.jsonl', line: string): void;
  /** Compile errors (the run then ends 'failed' without events). */
  onDiagnostics?(diagnostics: Diagnostic[]): void;
  /** Origin serving /data and /tfjs-wasm; default the worker's (the page's) origin. */
  origin?: string;
  /** Makes the worker; default a module worker on engine/browser/worker.ts. */
  createWorker?: () => WorkerLike;
}

export interface BrowserRunResult extends RunResult {
  backend?: BrowserBackendName;
  /** tf.memory() after each step, for leak checks. */
  memory: MemoryTrace;
}

export interface BrowserRun {
  /** A live edit of hot fields, applied before the next step (engine/runtime/edits.ts). */
  edit(nodeId: string, params: Record<string, unknown>): Promise<EditOutcome>;
  /** Text from the model between two steps; the run's numbers stay as they were. */
  sample(request: SampleRequest): Promise<SampleAnswer>;
  pause(): void;
  resume(): void;
  /** Stops after the current step (a checkpoint node with at_end does not save: the run is 'stopped'). */
  stop(): void;
  /** Kills the worker at once; `done` resolves as 'stopped' at the last step seen. */
  terminate(): void;
  done: Promise<BrowserRunResult>;
  /** Checkpoints still kept (keep_last prunes them here too), oldest first. */
  checkpoints: Map<string, CheckpointPayload>;
  /** train_log.jsonl and samples.jsonl so far. */
  logLines: string[];
  sampleLines: string[];
}

function defaultWorker(): WorkerLike {
  // This exact form lets the bundler (Turbopack/webpack) emit the worker as its own chunk.
  return new Worker(new URL('../engine/browser/worker.ts', import.meta.url), { type: 'module' }) as unknown as WorkerLike;
}

/**
 * Starts a browser run in a fresh Web Worker.
 * @example
 *   const run = startBrowserRun({ pipeline, onEvents: (events) => store.add(events), onBackend: (b) => show(b.name) });
 *   run.pause(); run.resume();
 *   const { status } = await run.done; // 'completed'
 */
export function startBrowserRun(options: BrowserRunOptions): BrowserRun {
  const worker = (options.createWorker ?? defaultWorker)();
  const checkpoints = new Map<string, CheckpointPayload>();
  const logLines: string[] = [];
  const sampleLines: string[] = [];
  let lastStep = 0;
  let finished = false;
  let settle!: (result: BrowserRunResult) => void;
  const done = new Promise<BrowserRunResult>((resolve) => (settle = resolve));
  const memory: MemoryTrace = { numTensors: [], numBytes: [] };
  let backend: BrowserBackendName | undefined;
  // Live requests waiting for the worker's answer, by id; the run's end answers the rest.
  let nextRequest = 1;
  const waiting = new Map<number, (answer: FromWorker) => void>();
  const answerWaiting = () => {
    for (const [id, resolve] of waiting) resolve({ type: 'edit-result', id, outcome: { status: 409, error: 'the run has ended', errors: [] } });
    waiting.clear();
  };
  const ask = (message: Omit<EditMessage, 'id'> | Omit<SampleMessage, 'id'>) =>
    new Promise<FromWorker>((resolve) => {
      const id = nextRequest++;
      waiting.set(id, resolve);
      if (finished) return answerWaiting();
      worker.postMessage({ ...message, id } as ToWorker, []);
    });

  /** Ends the run from this side (worker crashed or killed), with the events the UI expects. */
  const end = (status: 'failed' | 'stopped', message?: string) => {
    if (finished) return;
    finished = true;
    worker.terminate();
    answerWaiting();
    const events: RunEvent[] = [];
    if (message) events.push({ type: 'error', step: lastStep, data: { message } });
    events.push({ type: 'run/finished', step: lastStep, data: { status, elapsed_s: 0 } });
    options.onEvents?.(events);
    settle({ status, step: lastStep, ...(message ? { error: { message } } : {}), ...(backend ? { backend } : {}), memory });
  };

  worker.onmessage = (event) => {
    const message = event.data;
    switch (message.type) {
      case 'events':
        for (const e of message.events) {
          if (e.step !== undefined) lastStep = e.step;
          if (e.type === 'checkpoint/saved') for (const name of e.data.removed) checkpoints.delete(name);
        }
        options.onEvents?.(message.events);
        break;
      case 'backend':
        backend = message.name;
        options.onBackend?.(message);
        break;
      case 'checkpoint': {
        const { type: _, ...checkpoint } = message;
        checkpoints.set(checkpoint.name, checkpoint);
        options.onCheckpoint?.(checkpoint);
        break;
      }
      case 'line':
        (message.file === 'train_log.jsonl' ? logLines : sampleLines).push(message.line);
        options.onLine?.(message.file, message.line);
        break;
      case 'diagnostics':
        options.onDiagnostics?.(message.diagnostics);
        break;
      case 'edit-result':
      case 'sample-result':
        waiting.get(message.id)?.(message);
        waiting.delete(message.id);
        break;
      case 'done':
        finished = true;
        answerWaiting();
        worker.terminate(); // frees the backend's GPU memory with the worker
        settle({ ...message.result, ...(message.backend ? { backend: message.backend } : {}), memory: message.memory });
        break;
    }
  };
  worker.onerror = (event) => {
    event.preventDefault?.();
    end('failed', `the browser executor's worker failed: ${event.message || 'could not load or crashed'}`);
  };

  const resume = options.resume ? { ...options.resume, weights: options.resume.weights.slice(0) } : undefined;
  worker.postMessage(
    {
      type: 'start',
      pipeline: options.pipeline,
      ...(options.steps !== undefined ? { steps: options.steps } : {}),
      ...(options.backend ? { backend: options.backend } : {}),
      ...(options.wasmThreads !== undefined ? { wasmThreads: options.wasmThreads } : {}),
      ...(options.data ? { data: options.data } : {}),
      ...(options.origin ? { origin: options.origin } : {}),
      ...(resume ? { resume, ...(options.restartSchedule ? { restartSchedule: true } : {}) } : {}),
    },
    resume ? [resume.weights] : [],
  );

  const send = (type: 'pause' | 'resume' | 'stop') => () => void (finished || worker.postMessage({ type }, []));
  return {
    async edit(nodeId, params) {
      const answer = await ask({ type: 'edit', nodeId, params });
      return answer.type === 'edit-result' ? answer.outcome : { status: 409, error: 'the run has ended', errors: [] };
    },
    async sample(request) {
      const answer = await ask({ type: 'sample', ...request });
      return answer.type === 'sample-result' ? answer.answer : { error: 'the run has ended' };
    },
    pause: send('pause'),
    resume: send('resume'),
    stop: send('stop'),
    terminate: () => end('stopped'),
    done,
    checkpoints,
    logLines,
    sampleLines,
  };
}

/**
 * A checkpoint as the two files the server writes: `<name>.safetensors` and `<name>.json`
 * (same bytes and JSON layout), so either executor can resume from them.
 * @example const [weights, meta] = checkpointFiles(run.checkpoints.get('ckpt-000100')!);
 */
export function checkpointFiles(checkpoint: CheckpointPayload): [File, File] {
  return [
    new File([checkpoint.weights], `${checkpoint.name}.safetensors`, { type: 'application/octet-stream' }),
    new File([metaToJson(checkpoint.name, checkpoint.meta) + '\n'], `${checkpoint.name}.json`, { type: 'application/json' }),
  ];
}

/**
 * A checkpoint as the server takes it (POST /api/checkpoints and /api/runs/:id/checkpoints,
 * docs/api.md): one body, the metadata JSON then the .safetensors bytes, and a header saying where
 * the JSON ends.
 * @example await fetch(`/api/checkpoints?name=${checkpoint.name}`, checkpointUpload(checkpoint));
 */
export function checkpointUpload(checkpoint: CheckpointPayload): RequestInit {
  const meta = new TextEncoder().encode(metaToJson(checkpoint.name, checkpoint.meta));
  return {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream', 'checkpoint-meta-length': String(meta.byteLength) },
    body: new Blob([meta, checkpoint.weights]),
  };
}

/** train_log.jsonl as a file (one JSON object per line). */
export function trainLogFile(lines: readonly string[]): File {
  return new File([lines.map((l) => l + '\n').join('')], 'train_log.jsonl', { type: 'application/x-ndjson' });
}

/** Saves a file through the browser's download (an <a download> click). */
export function downloadFile(file: File): void {
  const url = URL.createObjectURL(file);
  const a = document.createElement('a');
  a.href = url;
  a.download = file.name;
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  // The download has its own reference once started; revoke after the click has been handled.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * Downloads a checkpoint as its two files.
 * @example downloadCheckpoint(run.checkpoints.get('ckpt-000020')!);
 */
export function downloadCheckpoint(checkpoint: CheckpointPayload): void {
  for (const file of checkpointFiles(checkpoint)) downloadFile(file);
}

/** Downloads train_log.jsonl. */
export function downloadTrainLog(lines: readonly string[]): void {
  downloadFile(trainLogFile(lines));
}

/**
 * Reads an uploaded checkpoint (its `.safetensors` and `.json` files, from a browser run or the
 * server's `runs/<id>/checkpoints/`) for `startBrowserRun({ resume })`.
 * @example const resume = await readCheckpointFiles(input.files!);
 */
export async function readCheckpointFiles(files: Iterable<File> | ArrayLike<File>): Promise<CheckpointPayload> {
  const list = Array.from(files as ArrayLike<File>);
  const weights = list.find((f) => f.name.endsWith('.safetensors'));
  const meta = list.find((f) => f.name.endsWith('.json'));
  if (!weights || !meta) throw new Error('choose both files of a checkpoint: <name>.safetensors and <name>.json');
  const name = weights.name.slice(0, -'.safetensors'.length);
  if (meta.name.slice(0, -'.json'.length) !== name) throw new Error(`${weights.name} and ${meta.name} are not the same checkpoint`);
  return checkpointPayload(name, await weights.arrayBuffer(), await meta.text());
}

/**
 * Reads checkpoint `name` of run `runId` from the server (GET /api/runs/:id/checkpoints/:name and
 * its .json), for `startBrowserRun({ resume })`: a fork's checkpoint, copied into its own folder.
 * @example const resume = await fetchRunCheckpoint('0mx12bdyhkuvf', 'ckpt-000020');
 */
export async function fetchRunCheckpoint(runId: string, name: string, origin = ''): Promise<CheckpointPayload> {
  const url = `${origin}/api/runs/${encodeURIComponent(runId)}/checkpoints/${encodeURIComponent(name)}`;
  const [weights, meta] = await Promise.all([fetch(`${url}.safetensors`, { cache: 'no-store' }), fetch(`${url}.json`, { cache: 'no-store' })]);
  for (const [reply, file] of [
    [weights, `${name}.safetensors`],
    [meta, `${name}.json`],
  ] as const) {
    if (!reply.ok) throw new Error(`${file} of run ${runId} could not be read: the server answered ${reply.status}`);
  }
  return checkpointPayload(name, await weights.arrayBuffer(), await meta.text());
}

/** A checkpoint's two files as the worker takes them; throws when the metadata is not a Pretrain Studio checkpoint's. */
export function checkpointPayload(name: string, weights: ArrayBuffer, metaText: string): CheckpointPayload {
  let parsed: unknown;
  try {
    parsed = JSON.parse(metaText);
  } catch (err) {
    throw new Error(`${name}.json is not valid JSON (${(err as Error).message})`);
  }
  const m = parsed as { format?: unknown; step?: unknown } | null;
  if (!m || m.format !== 'pretrain-studio-checkpoint' || !Number.isSafeInteger(m.step)) {
    throw new Error(`${name}.json is not a Pretrain Studio checkpoint's metadata`);
  }
  return { name, step: m.step as number, weights, meta: parsed };
}
