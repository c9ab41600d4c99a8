// A text file of any size -> a dataset folder (train_ids.npy, valid_ids.npy, tokenizer.json,
// meta.json), read in 64 KiB chunks and written as it is encoded: memory stays flat however big
// the file is. The dataset library's tokenize job and `npm run tokenize` share it.
//
// Input rules: a NUL byte means the file is not text (refused); invalid UTF-8 is replaced with
// U+FFFD (and counted in meta.json `invalid_utf8_replaced`); an empty file is refused.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { countChunks, trainBpeOnChunks } from '../data/tokenize/bpe';
import { checkValidFraction, makeTokenizer } from '../data/tokenize/dataset';
import { UnigramCounts } from '../data/tokenize/stats';
import { takePiece } from '../data/tokenize/stream';
import type { Tokenizer, TokenizerKind } from '../data/tokenize/tokenizer';
import { IdsFileWriter, type OutputFile } from './ids-file';
import { DATASET_FILES, requestedVocabSize, type DatasetInfo } from './tokenize-files';

/**
 * Bytes read per chunk. Small enough that a chunk's string and ids stay out of V8's large-object
 * space, which only a full collection frees: with 1 MiB chunks a 200 MB file grew the heap by
 * ~130 MB of dead arrays before one ran.
 */
const CHUNK_BYTES = 64 * 1024;
/** The split point is searched for in this many bytes before its target. */
const SPLIT_WINDOW_BYTES = 1 << 20;

/** Bad input (not a bug): the message is shown to the person who gave the file. */
export class DatasetInputError extends Error {
  override readonly name = 'DatasetInputError';
}

/** Where a tokenization is, for progress bars. */
export interface TokenizeProgress {
  phase: 'training' | 'encoding';
  bytes_done: number; // of bytes_total: BPE reads the train split twice (train, then encode)
  bytes_total: number;
  tokens_written: number;
}

export interface TokenizeFileOptions {
  tokenizer: TokenizerKind;
  vocabSize?: number; // bpe only (default 1024)
  validFraction?: number; // default 0.1
  source: string; // meta.json `source`
  /** Extra meta.json fields (the library's name, format, ...). */
  extraMeta?: Record<string, unknown>;
  onProgress?(progress: TokenizeProgress): void;
  /** Opens an output file (tests inject a disk that fills up). */
  openOutput?(file: string): Promise<OutputFile>;
}

/** meta.json of a file tokenized here. */
export interface FileDatasetInfo extends DatasetInfo {
  bytes: number; // size of the text file
  bytes_per_token: number; // over both splits
  invalid_utf8_replaced: number;
}

/**
 * Tokenizes the text file at `textPath` into `outDir`: bytes before the split point (a line
 * boundary near `1 - validFraction` of the file) are train, the rest valid. BPE is trained on
 * the train part. meta.json is removed first and written last, so a folder with meta.json is
 * complete. Throws DatasetInputError for bad input.
 * @example const info = await tokenizeTextFile('corpus.txt', 'data/mine', { tokenizer: 'bpe', vocabSize: 512, source: 'corpus.txt' });
 */
export async function tokenizeTextFile(textPath: string, outDir: string, opts: TokenizeFileOptions): Promise<FileDatasetInfo> {
  const kind = opts.tokenizer;
  const vocabSize = requestedVocabSize(kind, opts.vocabSize);
  const validFraction = opts.validFraction ?? 0.1;
  checkValidFraction(validFraction);
  const size = (await stat(textPath)).size;
  if (size === 0) throw new DatasetInputError('the file is empty');
  const cut = await findSplitOffset(textPath, size, validFraction);
  const progress: TokenizeProgress = {
    phase: kind === 'bpe' ? 'training' : 'encoding',
    bytes_done: 0,
    bytes_total: size + (kind === 'bpe' ? cut : 0),
    tokens_written: 0,
  };
  const tokenizer = kind === 'bpe' ? await trainOnFile(textPath, cut, vocabSize, progress, opts) : await makeTokenizer(kind, '', vocabSize);
  progress.phase = 'encoding';

  await mkdir(outDir, { recursive: true });
  await rm(path.join(outDir, DATASET_FILES.meta), { force: true });
  const dtype = tokenizer.vocabSize <= 65536 ? 'uint16' : 'uint32';
  const unigrams = new UnigramCounts();
  const fingerprint = createHash('sha256')
    .update(JSON.stringify({ source: opts.source, size, kind, vocabSize, validFraction }))
    .digest('hex')
    .slice(0, 16);
  const train = await encodeRange(textPath, [0, cut], tokenizer, path.join(outDir, DATASET_FILES.train), { dtype, unigrams, progress, opts });
  const valid = await encodeRange(textPath, [cut, size], tokenizer, path.join(outDir, DATASET_FILES.valid), { dtype, progress, opts });
  if (train.tokens === 0) throw new DatasetInputError('no text left for the train split');
  await writeFile(path.join(outDir, DATASET_FILES.tokenizer), JSON.stringify(tokenizer.toJSON()) + '\n');
  const info: FileDatasetInfo = {
    vocab_size: tokenizer.vocabSize,
    max_id: Math.max(train.maxId, valid.maxId),
    tokenizer: kind,
    train_tokens: train.tokens,
    valid_tokens: valid.tokens,
    source: opts.source,
    dtype,
    valid_fraction: validFraction,
    train_unigram_entropy: unigrams.entropy(),
    fingerprint,
    bytes: size,
    bytes_per_token: size / (train.tokens + valid.tokens),
    invalid_utf8_replaced: train.replaced + valid.replaced,
    ...opts.extraMeta,
  };
  await writeMetaLast(outDir, info);
  return info;
}

/** meta.json, written to a temp name and renamed: its presence marks a complete folder. */
export async function writeMetaLast(outDir: string, info: object): Promise<void> {
  const file = path.join(outDir, DATASET_FILES.meta);
  await writeFile(`${file}.tmp`, JSON.stringify(info, null, 2) + '\n');
  await rename(`${file}.tmp`, file);
}

/** Byte offset of the train/valid split: after the last '\n' before the target, else a UTF-8 boundary. */
async function findSplitOffset(file: string, size: number, validFraction: number): Promise<number> {
  if (validFraction === 0) return size;
  const target = Math.round(size * (1 - validFraction));
  const start = Math.max(0, target - SPLIT_WINDOW_BYTES);
  const window = await readBytes(file, start, target - start);
  const newline = window.lastIndexOf(0x0a);
  if (newline >= 0) return start + newline + 1;
  let cut = target - start;
  while (cut > 0 && (window[cut] & 0xc0) === 0x80) cut--; // not inside a UTF-8 sequence
  return start + cut;
}

async function readBytes(file: string, position: number, length: number): Promise<Uint8Array> {
  const handle = await open(file, 'r');
  try {
    const buffer = new Uint8Array(length + 1);
    const { bytesRead } = await handle.read(buffer, 0, length + 1, position);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * The text of bytes [start, end) of `file`, decoded as it arrives (invalid UTF-8 replaced),
 * with the count of replacements. Refuses NUL bytes: such a file is not text.
 */
async function* readText(file: string, [start, end]: [number, number], replaced: { count: number }): AsyncGenerator<{ text: string; bytes: number }> {
  if (end <= start) return;
  const decoder = new TextDecoder('utf-8');
  let offset = start;
  let tail: Uint8Array = new Uint8Array(0); // the last bytes of the previous chunk, for a U+FFFD spanning chunks
  for await (const chunk of createReadStream(file, { start, end: end - 1, highWaterMark: CHUNK_BYTES }) as AsyncIterable<Buffer>) {
    const nul = chunk.indexOf(0);
    if (nul >= 0) throw new DatasetInputError(`this is not a text file: byte ${offset + nul} is NUL (binary data)`);
    const text = decoder.decode(chunk, { stream: true });
    replaced.count += countReplacements(text) - countEncodedReplacements(tail, chunk);
    tail = Uint8Array.from(chunk.subarray(Math.max(0, chunk.length - 2)));
    offset += chunk.length;
    yield { text, bytes: chunk.length };
  }
  const rest = decoder.decode();
  if (rest) {
    replaced.count += countReplacements(rest);
    yield { text: rest, bytes: 0 };
  }
}

const countReplacements = (text: string) => text.split('\uFFFD').length - 1;

/** U+FFFD already present in the input (EF BF BD), including one that starts in `tail`. */
function countEncodedReplacements(tail: Uint8Array, chunk: Uint8Array): number {
  const at = (i: number) => (i < 0 ? tail[tail.length + i] : chunk[i]); // i < 0: in the tail
  let n = 0;
  for (let i = -tail.length; i < 0; i++) if (at(i) === 0xef && at(i + 1) === 0xbf && at(i + 2) === 0xbd && i + 2 >= 0) n++;
  for (let i = chunk.indexOf(0xef); i >= 0 && i + 2 < chunk.length; i = chunk.indexOf(0xef, i + 1)) {
    if (chunk[i + 1] === 0xbf && chunk[i + 2] === 0xbd) n++;
  }
  return n;
}

/** BPE merges trained on the train bytes [0, cut), counted chunk by chunk. */
async function trainOnFile(file: string, cut: number, vocabSize: number, progress: TokenizeProgress, opts: TokenizeFileOptions): Promise<Tokenizer> {
  const chunkFreq = new Map<string, number>();
  let pending = '';
  for await (const { text, bytes } of readText(file, [0, cut], { count: 0 })) {
    pending += text;
    for (let p = takePiece(pending, false, 'bpe'); p; p = takePiece(pending, false, 'bpe')) {
      countChunks(p.piece, chunkFreq);
      pending = p.rest;
    }
    progress.bytes_done += bytes;
    opts.onProgress?.({ ...progress });
  }
  countChunks(pending, chunkFreq);
  return trainBpeOnChunks(chunkFreq, vocabSize);
}

interface EncodeContext {
  dtype: 'uint16' | 'uint32';
  unigrams?: UnigramCounts;
  progress: TokenizeProgress;
  opts: TokenizeFileOptions;
}

/** Encodes bytes [start, end) of `file` into the .npy file `out` (written whole or not at all). */
async function encodeRange(file: string, range: [number, number], tokenizer: Tokenizer, out: string, ctx: EncodeContext) {
  const writer = await IdsFileWriter.create(out, ctx.dtype, ctx.opts.openOutput);
  const replaced = { count: 0 };
  let maxId = -1;
  const utf8 = new TextEncoder();
  const encode = async (piece: string) => {
    // Byte-level ids are the UTF-8 bytes: one 1 MiB array per piece instead of a 4 MiB one.
    const ids = tokenizer.kind === 'byte' ? utf8.encode(piece) : tokenizer.encode(piece);
    for (let i = 0; i < ids.length; i++) if (ids[i] > maxId) maxId = ids[i];
    ctx.unigrams?.add(ids);
    await writer.append(ids);
    ctx.progress.tokens_written += ids.length;
  };
  try {
    let pending = '';
    for await (const { text, bytes } of readText(file, range, replaced)) {
      pending += text;
      for (let p = takePiece(pending, false, tokenizer.kind); p; p = takePiece(pending, false, tokenizer.kind)) {
        await encode(p.piece);
        pending = p.rest;
      }
      ctx.progress.bytes_done += bytes;
      ctx.opts.onProgress?.({ ...ctx.progress });
    }
    if (pending) await encode(pending);
    await writer.finish();
  } catch (e) {
    await writer.abandon();
    throw e;
  }
  return { tokens: writer.count, maxId, replaced: replaced.count };
}
