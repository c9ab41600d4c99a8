// Worker thread of one tokenize job (started by jobs.ts): turns the upload in a dataset folder
// into token ids, posting progress as it goes, then `done` or `failed` with a message for the
// person who uploaded it. Cancelling terminates the thread; jobs.ts then clears the folder.
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { z } from 'zod';
import { prepareCorpus } from '../../engine/node/corpus';
import { extractJsonlText, extractParquetText } from '../../engine/node/dataset-text';
import { importIdsFile } from '../../engine/node/ids-import';
import { tokenizeTextFile, type TokenizeProgress } from '../../engine/node/tokenize-stream';
import { DatasetRequest, EXTRACTED_TEXT, uploadFile } from './store';

export const JobStart = z.object({
  dir: z.string(),
  /** An upload to tokenize, or the bundled corpus to prepare. */
  job: z.union([z.object({ kind: z.literal('upload'), request: DatasetRequest, uploadBytes: z.number() }), z.object({ kind: z.literal('brown') })]),
});
export type JobStart = z.infer<typeof JobStart>;

export type JobProgress = { phase: 'extracting' | TokenizeProgress['phase']; bytes_done: number; bytes_total: number; tokens_written: number };
export type JobReply = { type: 'progress'; progress: JobProgress } | { type: 'done' } | { type: 'failed'; error: string };

/** Progress at most every 100 ms: a 200 MB file has 200 chunks, a slow socket needs far fewer. */
const PROGRESS_MS = 100;

async function runJob(start: JobStart, post: (reply: JobReply) => void): Promise<void> {
  let last = 0;
  const progress = (p: JobProgress) => {
    const now = Date.now();
    if (now - last < PROGRESS_MS) return;
    last = now;
    post({ type: 'progress', progress: p });
  };
  if (start.job.kind === 'brown') {
    await prepareCorpus(start.dir, { tokenizer: 'byte' });
    return;
  }
  const { request, uploadBytes } = start.job;
  const upload = join(start.dir, uploadFile(request.format));
  const extraMeta = {
    name: request.name,
    format: request.format,
    ...(request.field ? { field: request.field } : {}),
    upload_bytes: uploadBytes,
    created: new Date().toISOString(),
  };
  const common = {
    tokenizer: request.tokenizer,
    vocabSize: request.vocab_size,
    validFraction: request.valid_fraction,
    source: request.name,
    extraMeta,
    onProgress: progress,
  };
  if (request.format === 'npy') {
    await importIdsFile(upload, start.dir, common);
    return;
  }
  let text = upload;
  if (request.format === 'jsonl' || request.format === 'parquet') {
    text = join(start.dir, EXTRACTED_TEXT);
    const extract = request.format === 'jsonl' ? extractJsonlText : extractParquetText;
    await extract(upload, text, request.field ?? 'text', (done, total) =>
      progress({ phase: 'extracting', bytes_done: done, bytes_total: total, tokens_written: 0 }),
    );
  }
  await tokenizeTextFile(text, start.dir, common);
}

/** What the person sees: the input's own words, or what the machine ran out of. */
function failureMessage(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC') return 'the disk is full (ENOSPC): free some space on the server and upload again';
  return e instanceof Error ? e.message : String(e);
}

if (parentPort) {
  const post = (reply: JobReply) => parentPort!.postMessage(reply);
  runJob(JobStart.parse(workerData), post).then(
    () => post({ type: 'done' }),
    (e: unknown) => post({ type: 'failed', error: failureMessage(e) }),
  );
}
