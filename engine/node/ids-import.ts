// Ready token ids as a dataset folder: one .npy of ids (split by the validation fraction), or a
// train .npy followed by a valid .npy in the same file (`cat train_ids.npy valid_ids.npy`; each
// header gives its own length, so the pair needs no framing). Ids are checked against the
// vocabulary and rewritten as uint16 or uint32, the layout every executor reads.

import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ByteSource } from '../data/byte-source';
import { NpyError, NpyTokenReader } from '../data/npy';
import { UnigramCounts } from '../data/tokenize/stats';
import { ByteTokenizer } from '../data/tokenize/byte';
import { GPT2_VOCAB_SIZE } from '../data/tokenize/gpt2';
import type { TokenizerKind } from '../data/tokenize/tokenizer';
import { openFileSource } from './file-source';
import { IdsFileWriter } from './ids-file';
import { DATASET_FILES, type DatasetInfo } from './tokenize-files';
import { DatasetInputError, writeMetaLast, type TokenizeProgress } from './tokenize-stream';

/** Ids converted per read. */
const CHUNK_IDS = 1 << 20;

export interface ImportIdsOptions {
  tokenizer: TokenizerKind; // how the ids were made: byte and gpt2 can be decoded; bpe needs vocabSize
  vocabSize?: number; // required for bpe
  validFraction?: number; // used when the file holds one array (default 0.1)
  source: string;
  extraMeta?: Record<string, unknown>;
  onProgress?(progress: TokenizeProgress): void;
}

/** The bytes [start, start + size) of `source`, as a source of their own. */
function slice(source: ByteSource, start: number, size: number, name: string): ByteSource {
  return { size, name, read: (offset, length) => source.read(start + offset, length) };
}

/** One or two id arrays in the file at `file`. */
async function openArrays(source: ByteSource): Promise<NpyTokenReader[]> {
  const open = async (s: ByteSource) => {
    try {
      return await NpyTokenReader.open(s);
    } catch (e) {
      if (e instanceof NpyError) throw new DatasetInputError(e.message);
      throw e;
    }
  };
  const first = await open(slice(source, 0, source.size, 'train_ids.npy'));
  const end = first.header.dataOffset + first.length * first.header.itemSize;
  if (end === source.size) return [first];
  return [first, await open(slice(source, end, source.size - end, 'valid_ids.npy'))];
}

/**
 * Writes `outDir` from the ids in the .npy file at `file`. Refuses non-integer arrays, negative
 * ids and ids at or above the vocabulary size (naming the index).
 * @example await importIdsFile('ids.npy', 'data/datasets/ds-1', { tokenizer: 'gpt2', source: 'ids.npy' });
 */
export async function importIdsFile(file: string, outDir: string, opts: ImportIdsOptions): Promise<DatasetInfo> {
  const vocabSize = opts.tokenizer === 'byte' ? 256 : opts.tokenizer === 'gpt2' ? GPT2_VOCAB_SIZE : opts.vocabSize;
  if (vocabSize === undefined) throw new DatasetInputError('ids made by a BPE tokenizer need vocab_size');
  const source = await openFileSource(file);
  try {
    const arrays = await openArrays(source);
    const total = arrays.reduce((n, a) => n + a.length, 0);
    const validFraction = opts.validFraction ?? 0.1;
    const ranges =
      arrays.length === 2
        ? [
            { reader: arrays[0], start: 0, end: arrays[0].length },
            { reader: arrays[1], start: 0, end: arrays[1].length },
          ]
        : [
            { reader: arrays[0], start: 0, end: arrays[0].length - Math.round(arrays[0].length * validFraction) },
            { reader: arrays[0], start: arrays[0].length - Math.round(arrays[0].length * validFraction), end: arrays[0].length },
          ];
    if (ranges[0].end === 0) throw new DatasetInputError('train_ids.npy holds no ids');
    await mkdir(outDir, { recursive: true });
    await rm(path.join(outDir, DATASET_FILES.meta), { force: true });
    const dtype = vocabSize <= 65536 ? 'uint16' : 'uint32';
    const progress: TokenizeProgress = { phase: 'encoding', bytes_done: 0, bytes_total: source.size, tokens_written: 0 };
    const unigrams = new UnigramCounts();
    let maxId = -1;
    const counts: number[] = [];
    for (const [i, range] of ranges.entries()) {
      const name = i === 0 ? DATASET_FILES.train : DATASET_FILES.valid;
      const writer = await IdsFileWriter.create(path.join(outDir, name), dtype);
      try {
        for (let at = range.start; at < range.end; at += CHUNK_IDS) {
          const ids = await readChecked(range.reader, at, Math.min(CHUNK_IDS, range.end - at), vocabSize, name);
          for (const id of ids) if (id > maxId) maxId = id;
          if (i === 0) unigrams.add(ids);
          await writer.append(new Uint32Array(ids.buffer, ids.byteOffset, ids.length));
          progress.tokens_written += ids.length;
          progress.bytes_done = Math.round((source.size * progress.tokens_written) / total);
          opts.onProgress?.({ ...progress });
        }
        await writer.finish();
      } catch (e) {
        await writer.abandon();
        throw e;
      }
      counts.push(range.end - range.start);
    }
    if (opts.tokenizer !== 'bpe')
      await writeFile(
        path.join(outDir, DATASET_FILES.tokenizer),
        JSON.stringify(opts.tokenizer === 'byte' ? new ByteTokenizer().toJSON() : { kind: 'gpt2', vocabSize: GPT2_VOCAB_SIZE }) + '\n',
      );
    const info: DatasetInfo = {
      vocab_size: vocabSize,
      max_id: maxId,
      tokenizer: opts.tokenizer,
      train_tokens: counts[0],
      valid_tokens: counts[1],
      source: opts.source,
      dtype,
      valid_fraction: arrays.length === 2 ? counts[1] / total : validFraction,
      train_unigram_entropy: unigrams.entropy(),
      fingerprint: `ids-${source.size}-${total}`,
      ...opts.extraMeta,
    };
    await writeMetaLast(outDir, info);
    return info;
  } finally {
    await source.close();
  }
}

async function readChecked(reader: NpyTokenReader, at: number, count: number, vocabSize: number, name: string): Promise<Int32Array> {
  let ids: Int32Array;
  try {
    ids = await reader.read(at, count);
  } catch (e) {
    if (e instanceof NpyError) throw new DatasetInputError(e.message);
    throw e;
  }
  for (let i = 0; i < ids.length; i++) {
    if (ids[i] < 0 || ids[i] >= vocabSize) {
      throw new DatasetInputError(`${name}: id ${ids[i]} at index ${at + i} is outside the vocabulary (0..${vocabSize - 1})`);
    }
  }
  return ids;
}
