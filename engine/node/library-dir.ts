// Where the dataset library keeps a dataset: DATA_DIR/datasets/<id>/ for uploads, DATA_DIR/<id>/
// for the bundled corpus (brown-byte, brown-bpe1024, ...). Shared by the server's library and
// every executor that reads a dataset node with source 'library'.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Ids of uploaded datasets. */
export const UPLOADED_ID = /^ds-[0-9a-f]{12}$/;
/** Ids of the bundled corpus, as prepared under DATA_DIR. */
export const BUNDLED_ID = /^brown-(byte|gpt2|bpe[1-9][0-9]{2,4})$/;

export const isDatasetId = (id: string) => UPLOADED_ID.test(id) || BUNDLED_ID.test(id);

/**
 * The folder of library dataset `id`; throws for anything that is not a dataset id, so no
 * id can name another folder.
 * @example libraryDir('data', 'ds-0123456789ab') // 'data/datasets/ds-0123456789ab'
 */
export function libraryDir(dataDir: string, id: string): string {
  if (BUNDLED_ID.test(id)) return join(dataDir, id);
  if (UPLOADED_ID.test(id)) return join(dataDir, 'datasets', id);
  throw new Error(`dataset: ${JSON.stringify(id)} is not a dataset id (choose one from the library)`);
}

/**
 * The library folder of `id` once it is ready (its meta.json exists); otherwise an error that
 * says why (still tokenizing, failed and its error, or unknown), naming the `dataset` field.
 * @example const dir = await readyLibraryDir('data', 'ds-0123456789ab');
 */
export async function readyLibraryDir(dataDir: string, id: string): Promise<string> {
  const dir = libraryDir(dataDir, id);
  const exists = async (file: string) =>
    readFile(join(dir, file), 'utf8').then(
      (text) => text,
      () => undefined,
    );
  if (await exists('meta.json')) return dir;
  const job = await exists('job.json');
  if (job === undefined) throw new Error(`dataset: there is no dataset ${id} in the library`);
  let state: { state?: string; error?: string; name?: string } = {};
  try {
    state = JSON.parse(job);
  } catch {
    // a job.json being rewritten: report it as still tokenizing
  }
  if (state.state === 'failed') throw new Error(`dataset: ${state.name ?? id} failed to tokenize: ${state.error ?? 'unknown error'}`);
  throw new Error(`dataset: ${state.name ?? id} is still being tokenized; wait until it is ready`);
}
