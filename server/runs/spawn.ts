// Starts worker threads that run TypeScript: a run's worker (worker.ts) and the PyTorch export
// worker (torch-export-worker.ts).
// `new Worker(url, { execArgv: ['--import', 'tsx'] })` fails on Node 20 (ERR_UNKNOWN_FILE_EXTENSION:
// the worker's entry is loaded before the --import hook applies), so a two-line bootstrap
// registers tsx's loader in the worker and then imports the entry.
import { Worker } from 'node:worker_threads';
import type { WorkerStart } from './messages';

const RUN_ENTRY = new URL('./worker.ts', import.meta.url).href;

/**
 * A worker thread running the TypeScript module at `entry` (a file: URL) with `workerData`.
 * @example const worker = spawnTsWorker(new URL('./job.ts', import.meta.url).href, { x: 1 }, process.env, 'job');
 */
export function spawnTsWorker(entry: string, workerData: unknown, env: NodeJS.ProcessEnv, name: string): Worker {
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true, workerData, env, name });
}

/**
 * @example const worker = spawnRunWorker(start); worker.on('message', handle);
 */
export function spawnRunWorker(start: WorkerStart, env: NodeJS.ProcessEnv = process.env): Worker {
  return spawnTsWorker(RUN_ENTRY, start, env, `run ${start.runId}`);
}
