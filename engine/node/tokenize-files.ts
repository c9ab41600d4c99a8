// Text -> a dataset folder of token ids: train_ids.npy, valid_ids.npy (1-D, uint16 or
// uint32), tokenizer.json and meta.json. One implementation shared by prepareCorpus (the
// bundled Brown corpus) and `npm run tokenize` (any text file).

import { createHash } from 'node:crypto';
import { access, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { checkValidFraction, encodeSplits, makeTokenizer, splitTrainValid } from '../data/tokenize/dataset';
import { GPT2_VOCAB_SIZE } from '../data/tokenize/gpt2';
import { unigramEntropy } from '../data/tokenize/stats';
import { TOKENIZER_KINDS, type TokenizerKind } from '../data/tokenize/tokenizer';

/** File names inside a dataset folder. */
/** Re-exported: the split is shared with the browser (engine/data/tokenize/dataset.ts). */
export { splitTrainValid };

export const DATASET_FILES = {
  train: 'train_ids.npy',
  valid: 'valid_ids.npy',
  tokenizer: 'tokenizer.json',
  meta: 'meta.json',
} as const;

/** Bump when the written files change for the same input, so old folders get rebuilt. */
const FORMAT_VERSION = 1;
/** BPE vocabulary when none is asked for: small enough for tiny models, 2-3x fewer tokens than bytes. */
export const DEFAULT_BPE_VOCAB = 1024;

/** How to tokenize; every field has a default. */
export interface TokenizeOptions {
  tokenizer?: TokenizerKind; // default 'byte'
  vocabSize?: number; // BPE vocabulary incl. the 256 bytes (default 1024); byte/gpt2 are fixed
  validFraction?: number; // share of the text held out for validation, in [0, 1) (default 0.1)
  log?: (message: string) => void; // progress lines (BPE training can take a few seconds)
}

/** Contents of meta.json, returned by every prepare function. */
export interface DatasetInfo {
  vocab_size: number; // ids are in 0..vocab_size-1: the model's embedding rows
  max_id: number; // largest id that occurs in train or valid
  tokenizer: TokenizerKind;
  train_tokens: number;
  valid_tokens: number;
  source: string; // 'brown' or the path of the tokenized text file
  dtype: 'uint16' | 'uint32'; // element type of both .npy files
  valid_fraction: number;
  train_unigram_entropy: number; // nats; the loss of a model that ignores context
  fingerprint: string; // hash of the input text + options: a matching folder is reused
}

/** Input of `tokenizeSplits`: the split text, produced only if the folder is out of date. */
export interface SplitSource {
  source: string; // recorded as meta.json `source`
  key: string; // identifies the text (e.g. its hash); part of the fingerprint
  load: () => Promise<{ train: string; valid: string }>;
}

/**
 * Tokenizes `text` into `outDir`: the last `validFraction` of it (cut at a line boundary)
 * becomes valid_ids.npy, the rest train_ids.npy. BPE is trained on the train part only.
 * A folder already prepared from the same text and options is returned untouched.
 * @example
 *   const info = await tokenizeText(await readFile('shakespeare.txt', 'utf8'), 'data/shakes',
 *     { tokenizer: 'bpe', vocabSize: 512 });
 *   info.train_tokens; // e.g. 600000
 */
export async function tokenizeText(text: string, outDir: string, opts: TokenizeOptions & { source?: string } = {}): Promise<DatasetInfo> {
  const validFraction = opts.validFraction ?? 0.1;
  const key = createHash('sha256').update(text).digest('hex');
  return tokenizeSplits({ source: opts.source ?? 'text', key, load: async () => splitTrainValid(text, validFraction) }, outDir, { ...opts, validFraction });
}

/**
 * Writes a dataset folder from already split text; what tokenizeText and prepareCorpus
 * share. `src.load` is only called when `outDir` doesn't already hold a dataset with the
 * same fingerprint (source, input key, options and format version).
 */
export async function tokenizeSplits(src: SplitSource, outDir: string, opts: TokenizeOptions = {}): Promise<DatasetInfo> {
  const kind = opts.tokenizer ?? 'byte';
  if (!TOKENIZER_KINDS.includes(kind)) {
    throw new Error(`unknown tokenizer '${kind}' (expected ${TOKENIZER_KINDS.join(', ')})`);
  }
  const vocabSize = requestedVocabSize(kind, opts.vocabSize);
  const validFraction = opts.validFraction ?? 0.1;
  checkValidFraction(validFraction);
  const log = opts.log ?? (() => {});
  const fingerprint = createHash('sha256')
    .update(JSON.stringify({ format: FORMAT_VERSION, source: src.source, key: src.key, kind, vocabSize, validFraction }))
    .digest('hex')
    .slice(0, 16);

  const existing = await readDatasetInfo(outDir);
  if (existing?.fingerprint === fingerprint && (await allFilesExist(outDir))) {
    log(`${outDir} is up to date (same text and options), nothing to do`);
    return existing;
  }

  const { train, valid } = await src.load();
  if (kind === 'bpe') log(`training BPE with vocab ${vocabSize} on ${train.length} characters`);
  const t0 = performance.now();
  const tokenizer = await makeTokenizer(kind, train, vocabSize);
  if (kind === 'bpe') log(`trained ${tokenizer.vocabSize - 256} merges in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  log(`encoding with ${kind} tokenizer`);
  const { trainIds, validIds, trainNpy, validNpy, maxId, dtype } = encodeSplits(tokenizer, train, valid);

  const info: DatasetInfo = {
    vocab_size: tokenizer.vocabSize,
    max_id: maxId,
    tokenizer: kind,
    train_tokens: trainIds.length,
    valid_tokens: validIds.length,
    source: src.source,
    dtype,
    valid_fraction: validFraction,
    train_unigram_entropy: unigramEntropy(trainIds),
    fingerprint,
  };

  // meta.json goes first (removed) and last (written): a folder interrupted half way has no
  // meta and is rebuilt next time instead of being trusted.
  await mkdir(outDir, { recursive: true });
  await rm(path.join(outDir, DATASET_FILES.meta), { force: true });
  await writeAtomic(path.join(outDir, DATASET_FILES.train), trainNpy);
  await writeAtomic(path.join(outDir, DATASET_FILES.valid), validNpy);
  await writeAtomic(path.join(outDir, DATASET_FILES.tokenizer), JSON.stringify(tokenizer.toJSON()) + '\n');
  await writeAtomic(path.join(outDir, DATASET_FILES.meta), JSON.stringify(info, null, 2) + '\n');
  return info;
}

/**
 * meta.json of a dataset folder, or undefined if there is none (or it is unreadable).
 * @example
 *   const info = await readDatasetInfo('data/brown-byte');
 *   info?.vocab_size; // 256
 */
export async function readDatasetInfo(dir: string): Promise<DatasetInfo | undefined> {
  try {
    return JSON.parse(await readFile(path.join(dir, DATASET_FILES.meta), 'utf8')) as DatasetInfo;
  } catch {
    return undefined;
  }
}

/** The vocabulary size the options ask for; byte and gpt2 have fixed ones. */
export function requestedVocabSize(kind: TokenizerKind, vocabSize: number | undefined): number {
  const fixed = kind === 'byte' ? 256 : kind === 'gpt2' ? GPT2_VOCAB_SIZE : undefined;
  if (fixed !== undefined) {
    if (vocabSize !== undefined && vocabSize !== fixed) {
      throw new Error(`the ${kind} tokenizer has a fixed vocab size of ${fixed}; got vocabSize ${vocabSize}`);
    }
    return fixed;
  }
  const v = vocabSize ?? DEFAULT_BPE_VOCAB;
  if (!Number.isInteger(v) || v < 257) throw new Error(`bpe vocabSize must be an integer > 256, got ${v}`);
  return v;
}

async function allFilesExist(dir: string): Promise<boolean> {
  try {
    await Promise.all(Object.values(DATASET_FILES).map((f) => access(path.join(dir, f))));
    return true;
  } catch {
    return false;
  }
}

/** Write to a temp name, then rename: a reader never sees half a file. */
async function writeAtomic(file: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, data);
  await rename(tmp, file);
}
