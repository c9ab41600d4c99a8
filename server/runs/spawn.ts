// Starts a run's worker thread (worker.ts) with TypeScript support.
// `new Worker(url, { execArgv: ['--import', 'tsx'] })` fails on Node 20 (ERR_UNKNOWN_FILE_EXTENSION:
// the worker's entry is loaded before the --import hook applies), so a two-line bootstrap
// registers tsx's loader in the worker and then imports the entry.
import { Worker } from 'node:worker_threads';
import type { WorkerStart } from './messages';

const ENTRY = new URL('./worker.ts', import.meta.url).href;

/**
 * @example const worker = spawnRunWorker(start); worker.on('message', handle);
 */
export function spawnRunWorker(start: WorkerStart, env: NodeJS.ProcessEnv = process.env): Worker {
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(ENTRY)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: start, env, name: `run ${start.runId}` });
}
