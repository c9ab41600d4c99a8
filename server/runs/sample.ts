// Text from a checkpoint's weights (POST /api/runs/:id/sample with `checkpoint`): the model is
// rebuilt from the checkpoint's pipeline in a worker thread (sample-worker.ts), so generating does
// not stall the server's event streams.
import { z } from 'zod';
import { checkCheckpointName } from '../../engine/checkpoint/checkpoint-store';
import { directoryCheckpointStore } from '../../engine/node/checkpoint-dir';
import type { SampleAnswer, SampleRequest } from '../../engine/runtime/ask';
import { RunActionError } from './refusals';
import { spawnTsWorker } from './spawn';

const ENTRY = new URL('./sample-worker.ts', import.meta.url).href;

export const SampleStart = z.object({
  /** Checkpoint path without extension. */
  checkpoint: z.string(),
  /** Where bundled corpora are prepared (the dataset's tokenizer). */
  dataDir: z.string(),
  request: z.object({ prompt: z.string(), maxNewTokens: z.number().int(), temperature: z.number().optional(), topK: z.number().int().optional() }),
});
export type SampleStart = z.infer<typeof SampleStart>;

/**
 * Generates from checkpoint `name` of a run's checkpoints folder.
 * @example await sampleCheckpoint('runs/x/checkpoints', 'ckpt-000020', { prompt: 'The ', maxNewTokens: 20 }, 'data')
 */
export async function sampleCheckpoint(dir: string, name: string, request: SampleRequest, dataDir: string): Promise<{ text: string; step: number }> {
  try {
    checkCheckpointName(name);
  } catch (e) {
    throw new RunActionError(400, `checkpoint: ${(e as Error).message}`);
  }
  const store = directoryCheckpointStore(dir);
  if (!(await store.list()).some((e) => e.name === name)) throw new RunActionError(404, `the run has no checkpoint ${JSON.stringify(name)}`);
  const answer = await new Promise<SampleAnswer>((resolve, reject) => {
    const worker = spawnTsWorker(ENTRY, { checkpoint: `${dir}/${name}`, dataDir, request } satisfies SampleStart, process.env, 'sample');
    let replied = false;
    worker.once('message', (reply: SampleAnswer) => {
      replied = true;
      void worker.terminate();
      resolve(reply);
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (!replied) reject(new Error(`the sample worker exited (code ${code}) without an answer`));
    });
  });
  if ('error' in answer) throw new RunActionError(409, `checkpoint ${name}: ${answer.error}`);
  return answer;
}
