// A run's worker thread: trains one pipeline with trainPipeline and posts its events to the main
// thread, which numbers, stores and broadcasts them. Started by spawnRunWorker (spawn.ts).
import { parentPort, workerData } from 'node:worker_threads';
import type { RunEvent } from '../../engine/events';
import { trainPipeline } from '../../engine/node/train';
import type { RunControl } from '../../engine/runtime/run';
import type { PendingEdit } from '../../engine/runtime/run-edits';
import type { PendingSample } from '../../engine/runtime/ask';
import { CONTROL, WorkerCommand, WorkerStart, type WorkerMessage } from './messages';

const port = parentPort!;
const start = WorkerStart.parse(workerData);
const post = (message: WorkerMessage) => port.postMessage(message);

// Events cross the thread boundary in batches: a step's events end with its `step` event, so a
// batch is sent after a `step` once FLUSH_MS have passed since the last one (fast steps share a
// message), and a timer sends whatever else is waiting (setup metrics, notices). Each message
// wakes the main thread, which costs about 0.1 ms of its CPU: per 50 ms, not per step.
const FLUSH_MS = 50;
let buffer: RunEvent[] = [];
let timer: ReturnType<typeof setTimeout> | undefined;
let lastFlush = 0;
/** A checkpoint/saved waits in the buffer: its step goes out at once (see below). */
let checkpointed = false;
function flush() {
  if (timer) clearTimeout(timer);
  timer = undefined;
  lastFlush = performance.now();
  checkpointed = false;
  if (buffer.length) post({ type: 'run/events', events: buffer });
  buffer = [];
}
// Test hook (server/memory-budget.test.ts): after step N the thread blocks for good, as inside a
// kernel that never returns; only the stop grace period (executions.ts) ends such a run.
const hangAfterStep = Number(process.env.PRETRAIN_TEST_HANG_AFTER_STEP ?? NaN);
const batching = {
  emit(event: RunEvent) {
    buffer.push(event);
    if (event.type === 'step' && event.step === hangAfterStep) {
      flush();
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
    }
    if (event.type === 'checkpoint/saved') checkpointed = true;
    // A checkpoint is resumed from only once its step's events are stored (resume-point.ts):
    // the step that saved one is sent without waiting, which keeps that window short.
    const due = event.type === 'run/finished' || event.type === 'error' || (event.type === 'step' && (checkpointed || performance.now() - lastFlush >= FLUSH_MS));
    if (due) flush();
    else timer ??= setTimeout(flush, FLUSH_MS);
  },
};

// Edits and sample requests come as messages, which a thread busy with steps reads only when its
// event loop turns: the main thread counts them in flags[1], and the step boundary lets the loop
// turn until every one counted has arrived.
const flags = new Int32Array(start.control);
let commandsReceived = 0;
let edits: PendingEdit[] = [];
let samples: PendingSample[] = [];
port.on('message', (raw) => {
  commandsReceived++;
  const parsed = WorkerCommand.safeParse(raw);
  if (!parsed.success) return;
  const command = parsed.data;
  if (command.type === 'run/edit') {
    edits.push({ nodeId: command.nodeId, params: command.params, settle: (outcome) => {
      flush(); // its run/edited event is stored before the answer arrives
      post({ type: 'run/edit-result', id: command.id, outcome });
    } });
  } else {
    samples.push({
      prompt: command.prompt, maxNewTokens: command.maxNewTokens, temperature: command.temperature, topK: command.topK,
      settle: (answer) => post({ type: 'run/sample-result', id: command.id, ...answer }),
    });
  }
});
const commandsWaiting = () => commandsReceived < Atomics.load(flags, 1) || edits.length > 0 || samples.length > 0;
async function receiveCommands() {
  while (commandsReceived < Atomics.load(flags, 1)) await new Promise((r) => setImmediate(r));
}
const control: RunControl = {
  get stopRequested() {
    return Atomics.load(flags, 0) === CONTROL.stop;
  },
  async waitWhilePaused() {
    await receiveCommands();
    // Paused: look at the flags 20 times a second; timers keep the thread idle in between.
    while (Atomics.load(flags, 0) === CONTROL.pause && !commandsWaiting()) await new Promise((r) => setTimeout(r, 50));
    await receiveCommands();
  },
  takeEdits() {
    const taken = edits;
    edits = [];
    return taken;
  },
  takeSamples() {
    const taken = samples;
    samples = [];
    return taken;
  },
};

try {
  const outcome = await trainPipeline({
    pipeline: start.pipeline, outDir: start.outDir, dataDir: start.dataDir, backend: start.backend,
    // Dataset paths in a submitted pipeline resolve inside the server's data folder and stay there.
    baseDir: start.dataDir, dataRoots: [start.dataDir],
    ...(start.resume ? { resume: start.resume } : {}), edits: start.edits, ...(start.restartSchedule ? { restartSchedule: true } : {}), sink: batching, control, runId: start.runId, env: process.env,
  });
  flush();
  if (!outcome.compiled) {
    post({ type: 'run/rejected', errors: outcome.diagnostics.map((d) => ({ nodeId: d.nodeId, field: d.field, message: d.message })) });
  } else {
    const { status, step, error, lastCheckpoint } = outcome.result;
    post({ type: 'run/ended', status, step, ...(error ? { error } : {}), ...(lastCheckpoint ? { lastCheckpoint } : {}) });
  }
} catch (e) {
  flush();
  post({ type: 'run/crashed', message: e instanceof Error ? e.message : String(e) });
}
port.removeAllListeners('message'); // the thread may end now
