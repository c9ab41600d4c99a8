'use client';
// A bare page for the browser executor's e2e tests and measurements (e2e/browser-executor.e2e.ts,
// bench/browser.ts): it starts runs through lib/browser-executor.ts and exposes them on
// `window.__browserTest` for Playwright. Not linked from the studio; the toolbar's run UI is the real one.
import { useEffect, useState } from 'react';
import smoke from '../../pipelines/smoke.json';
import type { RunEvent } from '../../engine/events';
import { startBrowserRun, type BackendMessage, type BackendPreference, type BrowserRunResult } from '../../lib/browser-executor';

/** What a test asks for; everything is plain JSON so Playwright can pass it in. */
export interface TestRunRequest {
  pipeline?: unknown; // default pipelines/smoke.json
  steps?: number;
  backend?: BackendPreference;
  wasmThreads?: number;
  resume?: { name: string; weightsBase64: string; meta: unknown };
  /** Text tokenized in the worker, for dataset nodes with source 'files'. */
  text?: { text: string; tokenizer: 'byte' | 'bpe'; vocabSize?: number };
  /** Pause after this many steps for pauseMs, then resume (checks the controls). */
  pauseAt?: number;
  pauseMs?: number;
}

/** What the page reports back. */
export interface TestRunReport {
  result: BrowserRunResult;
  backend?: BackendMessage;
  /** loss and tokens/s per `step` event, in order. */
  steps: { step: number; loss: number; tokens_per_sec: number; step_ms: number }[];
  evals: { step: number; val_loss: number }[];
  /** Wall time per node (ms) per step, from the node/metrics events: where the time goes. */
  nodeMs: Record<string, number[]>;
  eventTypes: string[];
  batches: number;
  checkpoints: { name: string; step: number; weightsBase64: string; meta: unknown }[];
  logLines: string[];
  /** Longest gap between the page's 16 ms ticks while the run trained: the page stays responsive. */
  maxMainThreadGapMs: number;
  /** Step events seen when the pause (pauseAt) ended: the pause held the run at pauseAt. */
  pausedStepsSeen?: number;
}

declare global {
  interface Window {
    __browserTest?: { run(request: TestRunRequest): Promise<TestRunReport> };
  }
}

function toBase64(buffer: ArrayBuffer): string {
  const bytes = new Uint8Array(buffer);
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

function fromBase64(text: string): ArrayBuffer {
  const raw = atob(text);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes.buffer;
}

function runForTest(request: TestRunRequest, onProgress: (line: string) => void): Promise<TestRunReport> {
  const report: Omit<TestRunReport, 'result' | 'maxMainThreadGapMs'> = {
    steps: [],
    evals: [],
    nodeMs: {},
    eventTypes: [],
    batches: 0,
    checkpoints: [],
    logLines: [],
  };
  let lastTick = performance.now();
  let maxGap = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - lastTick);
    lastTick = now;
  }, 16);
  let pausedAtStep: number | undefined;
  const run = startBrowserRun({
    pipeline: request.pipeline ?? smoke,
    ...(request.steps !== undefined ? { steps: request.steps } : {}),
    ...(request.backend ? { backend: request.backend } : {}),
    ...(request.wasmThreads !== undefined ? { wasmThreads: request.wasmThreads } : {}),
    ...(request.text ? { data: { kind: 'text', ...request.text } } : {}),
    ...(request.resume
      ? {
          resume: {
            name: request.resume.name,
            step: (request.resume.meta as { step: number }).step,
            weights: fromBase64(request.resume.weightsBase64),
            meta: request.resume.meta,
          },
        }
      : {}),
    onBackend: (b) => {
      report.backend = b;
      onProgress(`backend ${b.name} (${b.detail})`);
    },
    onEvents: (events: RunEvent[]) => {
      report.batches++;
      for (const e of events) {
        report.eventTypes.push(e.type);
        if (e.type === 'step') {
          report.steps.push({ step: e.step, loss: e.data.loss, tokens_per_sec: e.data.tokens_per_sec, step_ms: e.data.step_ms });
          onProgress(`step ${e.step} loss ${e.data.loss.toFixed(4)}`);
          if (request.pauseAt === e.step && pausedAtStep === undefined) {
            pausedAtStep = e.step;
            run.pause();
            setTimeout(() => {
              report.pausedStepsSeen = report.steps.length;
              run.resume();
            }, request.pauseMs ?? 500);
          }
        }
        if (e.type === 'eval') report.evals.push({ step: e.step, val_loss: e.data.val_loss });
        if (e.type === 'node/metrics' && e.data.ms !== undefined) (report.nodeMs[e.nodeId] ??= []).push(e.data.ms);
      }
    },
    onCheckpoint: (c) => report.checkpoints.push({ name: c.name, step: c.step, weightsBase64: toBase64(c.weights), meta: c.meta }),
  });
  return run.done.then((result) => {
    clearInterval(ticker);
    onProgress(`${result.status} at step ${result.step}`);
    return { ...report, result, logLines: run.logLines, maxMainThreadGapMs: maxGap };
  });
}

export default function BrowserTestPage() {
  const [lines, setLines] = useState<string[]>([]);
  useEffect(() => {
    const onProgress = (line: string) => setLines((old) => [...old.slice(-30), line]);
    window.__browserTest = { run: (request) => runForTest(request, onProgress) };
    return () => void delete window.__browserTest;
  }, []);
  return (
    <main style={{ fontFamily: 'monospace', padding: 16 }}>
      <h1>Browser executor test page</h1>
      <button onClick={() => void runForTest({}, (line) => setLines((old) => [...old.slice(-30), line]))}>Run the smoke pipeline</button>
      <pre data-testid="log">{lines.join('\n')}</pre>
    </main>
  );
}
