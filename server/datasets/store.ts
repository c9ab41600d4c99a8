// The dataset library on disk: DATA_DIR/datasets/<id>/ holds train_ids.npy, valid_ids.npy,
// tokenizer.json and meta.json (written last: its presence means ready), and while a job is on,
// job.json (its request and state) and the upload. The bundled Brown corpus folders
// (DATA_DIR/brown-*) are listed beside them, read-only.

import { randomBytes } from 'node:crypto';
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { BUNDLED_ID, isDatasetId, libraryDir, UPLOADED_ID } from '../../engine/node/library-dir';
import { DATASET_FILES } from '../../engine/node/tokenize-files';

export { BUNDLED_ID, isDatasetId, UPLOADED_ID };
export const newDatasetId = () => `ds-${randomBytes(6).toString('hex')}`;

export const UploadFormat = z.enum(['txt', 'jsonl', 'parquet', 'npy']);
export type UploadFormat = z.infer<typeof UploadFormat>;

/** What was asked for an upload; kept in job.json (and copied into meta.json). */
export const DatasetRequest = z.object({
  name: z
    .string()
    .min(1)
    .max(200)
    .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'must not hold control characters'),
  tokenizer: z.enum(['byte', 'bpe', 'gpt2']),
  vocab_size: z.number().int().min(257).max(65_535).optional(),
  valid_fraction: z.number().min(0).max(0.5).default(0.1),
  format: UploadFormat.default('txt'),
  field: z.string().min(1).max(200).optional(),
});
export type DatasetRequest = z.infer<typeof DatasetRequest>;

/** job.json: the request, and a state while there is no meta.json. */
export const JobFile = DatasetRequest.extend({
  state: z.enum(['uploading', 'tokenizing', 'failed']),
  error: z.string().optional(),
  created: z.string(),
  upload_bytes: z.number().optional(),
});
export type JobFile = z.infer<typeof JobFile>;

export const JOB_FILE = 'job.json';
/** The uploaded file inside the dataset folder, by format. */
export const uploadFile = (format: UploadFormat) => `upload.${format}`;
/** Text extracted from JSONL or Parquet, tokenized like a .txt upload. */
export const EXTRACTED_TEXT = 'text.txt';

/** Where a dataset's folder is. */
export const datasetDir = libraryDir;

export async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export async function readJob(dir: string): Promise<JobFile | undefined> {
  const parsed = JobFile.safeParse(await readJson(join(dir, JOB_FILE)).catch(() => undefined));
  return parsed.success ? parsed.data : undefined;
}

export async function writeJob(dir: string, job: JobFile): Promise<void> {
  const file = join(dir, JOB_FILE);
  await writeFile(`${file}.tmp`, JSON.stringify(job, null, 2) + '\n');
  await rename(`${file}.tmp`, file);
}

/** meta.json of a ready dataset, else undefined. */
export async function readMeta(dir: string): Promise<Record<string, unknown> | undefined> {
  const meta = await readJson(join(dir, DATASET_FILES.meta)).catch(() => undefined);
  return meta && typeof meta === 'object' ? (meta as Record<string, unknown>) : undefined;
}

/** Ids of the folders in the library: uploaded ones and prepared bundled ones. */
export async function listIds(dataDir: string): Promise<string[]> {
  const names = async (dir: string) => (await readdir(dir, { withFileTypes: true }).catch(() => [])).filter((e) => e.isDirectory()).map((e) => e.name);
  return [...(await names(dataDir)).filter((n) => BUNDLED_ID.test(n)), ...(await names(join(dataDir, 'datasets'))).filter((n) => UPLOADED_ID.test(n))];
}
