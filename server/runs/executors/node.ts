// The node executor: tfjs in a worker thread of this server (worker.ts runs trainPipeline). Pause
// and stop travel through shared memory: a worker busy in a step reads the flag before the next.
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { executorDefinition } from '../../../engine/executors';
import { CONTROL, NodeBackend, WorkerMessage, type WorkerStart } from '../messages';
import { WorkerCommands } from '../commands';
import { readEditHistory } from '../edit-history';
import { spawnRunWorker } from '../spawn';
import type { Execution } from '../execution';
import type { RunChannel, ServerExecutor } from './executor';

export const nodeExecutor: ServerExecutor = {
  ...executorDefinition('node'),
  request: { backend: NodeBackend, resume: true },

  async accept(_plan, ask) {
    return { backend: ask.backend ?? 'wasm' };
  },

  async start(record, server, channel) {
    const { id } = record.status;
    const pipeline = await server.store.readJson(id, 'pipeline.json');
    if (server.closing()) return undefined; // still queued: the next server starts it
    const { resumeFrom, restartSchedule } = record.status;
    // The run's edit history (edit-history.ts): replayed at their steps when it resumes.
    const edits = await readEditHistory(server.store.dir(id));
    return startWorker({
      runId: id, pipeline, outDir: server.store.dir(id), dataDir: resolve(server.dataDir),
      backend: NodeBackend.parse(record.status.backend), ...(resumeFrom ? { resume: join(server.store.checkpointsDir(id), resumeFrom) } : {}),
      edits, ...(restartSchedule ? { restartSchedule: true } : {}),
    }, server.workerEnv, channel);
  },

  async report() {
    return { available: true, backends: nodeBackends() };
  },
};

/** tfjs backends this server can start: wasm and cpu always, tensorflow with @tensorflow/tfjs-node installed. */
function nodeBackends(): NodeBackend[] {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
    return ['wasm', 'cpu', 'tensorflow'];
  } catch {
    return ['wasm', 'cpu'];
  }
}

/**
 * Starts a run's worker thread; its messages are checked before they reach the channel, and the
 * answers to live requests (commands.ts) go to whoever asked.
 */
function startWorker(start: Omit<WorkerStart, 'control'>, env: NodeJS.ProcessEnv | undefined, channel: RunChannel): Execution {
  const control = new SharedArrayBuffer(8);
  const flags = new Int32Array(control);
  const worker = spawnRunWorker({ ...start, control }, env);
  const live = new WorkerCommands(worker, flags);
  worker.on('message', (raw) => {
    const parsed = WorkerMessage.safeParse(raw);
    if (!parsed.success) return channel.crash(`worker sent an invalid message: ${parsed.error.message}`);
    if (!live.answer(parsed.data)) channel.message(parsed.data);
  });
  worker.on('error', (e) => channel.crash(`worker failed: ${e.message}`));
  worker.on('exit', (code) => {
    live.end();
    channel.crash(`worker exited (code ${code}) before the run ended`);
  });
  return {
    live,
    pause: () => Atomics.store(flags, 0, CONTROL.pause),
    resume: () => Atomics.store(flags, 0, CONTROL.run),
    stop: () => Atomics.store(flags, 0, CONTROL.stop),
    terminate: async () => {
      live.end();
      await worker.terminate();
    },
  };
}

export default nodeExecutor;
