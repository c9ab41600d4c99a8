// Messages between the page and the browser executor's Web Worker (engine/browser/worker.ts).
// Plain structured-cloneable data: pipelines, RunEvents (engine/events.ts), Blobs, ArrayBuffers.
import type { Diagnostic } from '../compiler/diagnostics';
import type { RunEvent } from '../events';
import type { SampleAnswer } from '../runtime/ask';
import type { RunResult } from '../runtime/run';
import type { EditOutcome } from '../runtime/run-edits';
import type { DatasetMeta } from '../runtime/io';

/** tfjs backends a browser can run, fastest first: the order 'auto' tries them in. */
export const BROWSER_BACKENDS = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
export type BrowserBackendName = (typeof BROWSER_BACKENDS)[number];
/** 'auto' tries every backend in BROWSER_BACKENDS order; a name starts the same chain at that backend. */
export type BackendPreference = 'auto' | BrowserBackendName;

/**
 * Where a dataset node's ids come from in the browser. A node with `source: "brown"` always reads
 * the bundled corpus the app serves (`/data/brown-<tokenizer>/`); `source: "files"` reads this.
 */
export type BrowserDataset =
  /** train_ids.npy / valid_ids.npy chosen by the user; read in windows (File.slice), never whole. */
  | {
      kind: 'files';
      train: Blob;
      valid: Blob;
      /** tokenizer.json (parsed, or the File); absent means byte-level. */
      tokenizer?: unknown;
      /** meta.json (parsed, or the File). */
      meta?: DatasetMeta | Blob;
    }
  /** Plain text tokenized in the worker; the last `validFraction` (default 0.1) becomes validation. */
  | { kind: 'text'; text: string; tokenizer: 'byte' | 'bpe' | 'gpt2'; vocabSize?: number; validFraction?: number };

/** A checkpoint as two files' contents: safetensors weights and the JSON metadata (parsed). */
export interface CheckpointPayload {
  name: string; // e.g. 'ckpt-000010'
  step: number;
  weights: ArrayBuffer;
  meta: unknown;
}

/** Page -> worker: start one run. A worker runs one run and is then discarded. */
export interface StartMessage {
  type: 'start';
  /** The pipeline document (any supported version); compiled in the worker. */
  pipeline: unknown;
  /** Overrides pipeline.training.steps. */
  steps?: number;
  backend?: BackendPreference;
  /** Continue from this checkpoint (a browser or server one: same files). */
  resume?: CheckpointPayload;
  /** With `resume`: the step counter and the lr schedule start at 0 (a fork's "restart schedule"), the weights from the checkpoint. */
  restartSchedule?: boolean;
  /** Ids for dataset nodes with source 'files'. */
  data?: BrowserDataset;
  /** Origin serving /data/... and /tfjs-wasm/... (default: the worker's own origin). */
  origin?: string;
  /** URL prefix of the tfjs-backend-wasm .wasm files (default `${origin}/tfjs-wasm/`; '' = tfjs's own default). */
  wasmPaths?: string;
  /** Most threads the wasm backend may use (default: 1 for small models, see wasmThreadsFor; else every core, up to 8). */
  wasmThreads?: number;
}

export type ControlMessage = { type: 'pause' } | { type: 'resume' } | { type: 'stop' };
/** A live edit (engine/runtime/edits.ts), applied before the next step; answered with 'edit-result'. */
export interface EditMessage {
  type: 'edit';
  id: number;
  nodeId: string;
  params: Record<string, unknown>;
}
/** Text from the model between two steps (engine/runtime/ask.ts); answered with 'sample-result'. */
export interface SampleMessage {
  type: 'sample';
  id: number;
  prompt: string;
  maxNewTokens: number;
  temperature?: number;
  topK?: number;
}
export type ToWorker = StartMessage | ControlMessage | EditMessage | SampleMessage;

/** A backend that was tried and not used, and why. */
export interface BackendFallback {
  backend: BrowserBackendName;
  reason: string;
}

/** The WebGPU adapter limits that decide whether a model fits (bytes / workgroups). */
export interface GpuLimits {
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
  maxComputeWorkgroupsPerDimension: number;
}

/** Which backend the run uses, and why the ones before it were skipped. */
export interface BackendMessage {
  type: 'backend';
  name: BrowserBackendName;
  fallbacks: BackendFallback[];
  /** e.g. 'google / swiftshader' (WebGPU adapter), 'SIMD, 1 thread' (wasm). */
  detail: string;
  limits?: GpuLimits;
}

/** tfjs memory after each completed step (tf.memory()); flat when nothing leaks. */
export interface MemoryTrace {
  numTensors: number[];
  numBytes: number[];
}

export type FromWorker =
  | BackendMessage
  /** RunEvents in emission order, batched about every 100 ms. */
  | { type: 'events'; events: RunEvent[] }
  /** Sent when a checkpoint is saved, before the event batch holding its `checkpoint/saved`. */
  | ({ type: 'checkpoint' } & CheckpointPayload)
  /** One line appended to train_log.jsonl or samples.jsonl. */
  | { type: 'line'; file: 'train_log.jsonl' | 'samples.jsonl'; line: string }
  /** The pipeline did not compile (the run is then 'failed' with no events). */
  | { type: 'diagnostics'; diagnostics: Diagnostic[] }
  /** The answer to an 'edit' (its run/edited event is in an events message posted before). */
  | { type: 'edit-result'; id: number; outcome: EditOutcome }
  | { type: 'sample-result'; id: number; answer: SampleAnswer }
  /** The last message: every event has been posted before it. */
  | { type: 'done'; result: RunResult; backend?: BrowserBackendName; memory: MemoryTrace };
