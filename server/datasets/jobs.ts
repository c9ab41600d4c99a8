// Tokenize jobs: each in its own worker thread (job-worker.ts), so a 200 MB upload never blocks
// the server; progress and the outcome come back as messages. Cancelling terminates the thread.
import { Worker } from 'node:worker_threads';
import type { JobProgress, JobReply, JobStart } from './job-worker';

const ENTRY = new URL('./job-worker.ts', import.meta.url).href;

/**
 * The job's thread, running job-worker.ts through tsx (as server/runs/spawn.ts does), with a small
 * young generation: the job makes megabytes of short-lived garbage per chunk, and collecting it
 * often keeps the server's resident memory flat during a large upload.
 */
function spawnJobWorker(start: JobStart, name: string): Worker {
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(ENTRY)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: start, name, resourceLimits: { maxYoungGenerationSizeMb: 8 } });
}

export interface JobHandlers {
  progress(progress: JobProgress): void;
  /** Called once: undefined when the job finished, else why it did not. `done` waits for it. */
  end(error: string | undefined): Promise<void>;
}

/** A running job; `cancel()` ends it with the error 'cancelled'. */
export interface RunningJob {
  cancel(): Promise<void>;
  done: Promise<void>;
}

/**
 * @example const job = startJob({ dir, job: { kind: 'brown' } }, 'brown-byte', { progress, end });
 */
export function startJob(start: JobStart, name: string, handlers: JobHandlers): RunningJob {
  const worker = spawnJobWorker(start, `dataset ${name}`);
  let ended = false;
  let cancelled = false;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const end = (error: string | undefined) => {
    if (ended) return;
    ended = true;
    handlers
      .end(error)
      .catch((e: Error) => console.error(`dataset ${name}:`, e))
      .finally(finish);
  };
  worker.on('message', (reply: JobReply) => {
    if (reply.type === 'progress') handlers.progress(reply.progress);
    else end(reply.type === 'failed' ? reply.error : undefined);
  });
  worker.on('error', (e) => end(`the tokenize job crashed: ${e.message}`));
  worker.on('exit', (code) => end(cancelled ? 'cancelled' : `the tokenize job stopped (exit code ${code})`));
  return {
    done,
    async cancel() {
      if (ended) return;
      cancelled = true;
      await worker.terminate(); // 'exit' ends the job as cancelled
      await done;
    },
  };
}
