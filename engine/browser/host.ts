// The browser executor's host: what runs inside the Web Worker (worker.ts is only its glue to
// `self`). It compiles the pipeline, starts the best tfjs backend (backends.ts), checks the model
// against WebGPU's limits, then runs the plan with browserIO and posts the same RunEvents as the
// server, batched about every 100 ms. Nothing here touches the DOM, so it also runs in Node tests
// (over a MessageChannel) on the wasm and cpu backends.
import * as tf from '@tensorflow/tfjs-core';
import { compile } from '../compiler/compile';
import type { EventSink, RunEvent } from '../events';
import type { PendingSample } from '../runtime/ask';
import { runPlan, type RunControl, type RunResult } from '../runtime/run';
import type { PendingEdit } from '../runtime/run-edits';
import { startBrowserBackend } from './backends';
import { checkGpuFit } from './gpu-fit';
import { browserIO } from './io';
import { wasmThreadsFor } from './wasm-threads';
import type { BrowserBackendName, FromWorker, MemoryTrace, StartMessage, ToWorker } from './protocol';

/** How the host sends a message to the page (postMessage, with buffers to transfer). */
export type PostMessage = (message: FromWorker, transfer?: ArrayBuffer[]) => void;

/** Events are posted in batches at most this often (the server's live stream uses the same 100 ms). */
export const EVENT_BATCH_MS = 100;

/**
 * A sink that posts events in batches: at once when the last batch is older than `intervalMs`,
 * else from a timer, and always on `flush()`. A busy worker still posts every ~100 ms, since
 * the check runs on every event.
 */
export function batchingSink(post: PostMessage, intervalMs = EVENT_BATCH_MS): EventSink & { flush(): void } {
  let pending: RunEvent[] = [];
  let lastPost = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (pending.length === 0) return;
    post({ type: 'events', events: pending });
    pending = [];
    lastPost = performance.now();
  };
  return {
    flush,
    emit(event) {
      pending.push(event);
      if (performance.now() - lastPost >= intervalMs) flush();
      else timer ??= setTimeout(flush, intervalMs);
    },
  };
}

/** Resolves after other tasks (the page's pause/stop messages) had their turn; no 4 ms timer clamp. */
function yieldToTasks(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/** Pause/resume/stop set from messages; the run checks it between steps. */
class MessageControl implements RunControl {
  stopRequested = false;
  private paused = false;
  private wake: (() => void) | undefined;
  private edits: PendingEdit[] = [];
  private samples: PendingSample[] = [];

  async waitWhilePaused(): Promise<void> {
    // The step loop can run on microtasks alone (wasm, data in memory): yield once per step so
    // control messages are delivered at all.
    await yieldToTasks();
    while (this.paused && !this.stopRequested && !this.edits.length && !this.samples.length) {
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  takeEdits(): PendingEdit[] {
    return this.edits.splice(0);
  }

  takeSamples(): PendingSample[] {
    return this.samples.splice(0);
  }

  /** Queues a live request; a paused run wakes to serve it. */
  ask(request: { edit: PendingEdit } | { sample: PendingSample }): void {
    if ('edit' in request) this.edits.push(request.edit);
    else this.samples.push(request.sample);
    this.wake?.();
    this.wake = undefined;
  }

  set(message: 'pause' | 'resume' | 'stop') {
    if (message === 'pause') this.paused = true;
    else if (message === 'resume') this.paused = false;
    else this.stopRequested = true;
    if (message !== 'pause') {
      this.wake?.();
      this.wake = undefined;
    }
  }
}

/**
 * One browser run: feed it the page's messages with `handle`; it answers through `post`.
 * A host runs a single `start`; later starts are refused (create a new worker per run).
 * @example
 *   const host = new BrowserRunHost((m, transfer) => self.postMessage(m, { transfer }));
 *   self.onmessage = (e) => host.handle(e.data);
 */
export class BrowserRunHost {
  private readonly control = new MessageControl();
  private started = false;
  /** Resolves with the run's result (also posted as 'done'). */
  finished: Promise<RunResult> | undefined;

  constructor(
    private readonly post: PostMessage,
    private readonly defaultOrigin = (globalThis as { location?: { origin?: string } }).location?.origin ?? '',
  ) {}

  handle(message: ToWorker): void {
    if (message.type === 'start') {
      if (this.started) throw new Error('this worker already ran a run; start a new worker for the next one');
      this.started = true;
      this.finished = this.run(message);
    } else if (message.type === 'edit') {
      const { id, nodeId, params } = message;
      this.control.ask({ edit: { nodeId, params, settle: (outcome) => this.answer({ type: 'edit-result', id, outcome }) } });
    } else if (message.type === 'sample') {
      const { id, prompt, maxNewTokens, temperature, topK } = message;
      this.control.ask({ sample: { prompt, maxNewTokens, temperature, topK, settle: (answer) => this.answer({ type: 'sample-result', id, answer }) } });
    } else {
      this.control.set(message.type);
    }
  }

  /** Answers a live request after the events batched so far (its run/edited among them). */
  private answer(message: FromWorker): void {
    this.sink?.flush();
    this.post(message);
  }

  private sink: ReturnType<typeof batchingSink> | undefined;

  private async run(start: StartMessage): Promise<RunResult> {
    const sink = batchingSink(this.post);
    this.sink = sink;
    const memory: MemoryTrace = { numTensors: [], numBytes: [] };
    let backend: BrowserBackendName | undefined;
    const done = (result: RunResult) => {
      sink.flush();
      this.post({ type: 'done', result, ...(backend ? { backend } : {}), memory });
      return result;
    };
    // Failures before runPlan starts still end with `error` and `run/finished`, like the runtime's.
    const fail = (message: string, nodeId?: string, field?: string): RunResult => {
      sink.emit({ type: 'error', ...(nodeId ? { nodeId } : {}), step: 0, data: { message, ...(field ? { field } : {}) } });
      sink.emit({ type: 'run/finished', step: 0, data: { status: 'failed', elapsed_s: 0 } });
      return done({ status: 'failed', step: 0, error: { message, ...(nodeId ? { nodeId } : {}) } });
    };

    try {
      let document = start.pipeline;
      if (start.steps !== undefined && typeof document === 'object' && document !== null) {
        const doc = document as { training?: Record<string, unknown> };
        document = { ...doc, training: { ...doc.training, steps: start.steps } };
      }
      const compiled = compile(document);
      if (!compiled.ok) {
        this.post({ type: 'diagnostics', diagnostics: compiled.diagnostics });
        const first = compiled.diagnostics.find((d) => d.severity === 'error') ?? compiled.diagnostics[0];
        return done({
          status: 'failed',
          step: 0,
          error: { message: `the pipeline has errors: ${first?.message ?? 'invalid'}`, ...(first?.nodeId ? { nodeId: first.nodeId } : {}) },
        });
      }
      const { plan } = compiled;
      const origin = start.origin ?? this.defaultOrigin;

      // '' (or no origin, as in Node) lets tfjs-backend-wasm find its .wasm files itself.
      const wasmPaths = start.wasmPaths ?? (origin ? `${origin}/tfjs-wasm/` : '');
      const wasmThreads = start.wasmThreads ?? wasmThreadsFor(plan);
      const choice = await startBrowserBackend(start.backend ?? 'auto', {
        ...(wasmPaths ? { wasmPaths } : {}),
        ...(wasmThreads !== undefined ? { wasmThreads } : {}),
      });
      backend = choice.name;
      this.post({
        type: 'backend',
        name: choice.name,
        fallbacks: choice.fallbacks,
        detail: choice.detail,
        ...(choice.limits ? { limits: choice.limits } : {}),
      });
      if (choice.limits) {
        const problems = checkGpuFit(plan, choice.limits);
        if (problems.length) return fail(problems.map((p) => p.message).join('\n'), problems[0].nodeId, problems[0].field);
      }

      const io = browserIO({
        origin,
        ...(start.data ? { data: start.data } : {}),
        onCheckpoint: (c) => this.post({ type: 'checkpoint', ...c }, [c.weights]),
        onLine: (file, line) => this.post({ type: 'line', file, line }),
      });
      const stepSink: EventSink = {
        emit: (event) => {
          if (event.type === 'step') {
            // After the step's tensors were disposed: a leak shows as growth here.
            const m = tf.memory();
            memory.numTensors.push(m.numTensors);
            memory.numBytes.push(m.numBytes);
          }
          sink.emit(event);
          if (event.type === 'run/finished') sink.flush();
        },
      };
      const result = await runPlan({
        plan,
        io,
        sink: stepSink,
        backendName: choice.name,
        executor: 'browser',
        control: this.control,
        ...(start.resume ? { resume: { name: start.resume.name, weights: new Uint8Array(start.resume.weights), meta: start.resume.meta } } : {}),
        ...(start.resume && start.restartSchedule ? { restartSchedule: true } : {}),
      });
      return done(result);
    } catch (err) {
      return fail(err instanceof Error ? err.message : String(err));
    }
  }
}
