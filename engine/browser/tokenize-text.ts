// Text -> in-memory dataset (train/valid .npy bytes, tokenizer.json, meta.json) for a browser run:
// the same split and files as engine/node/tokenize-files.ts writes to disk, without the file system.
import { encodeNpy } from '../data/npy';
import { ByteTokenizer } from '../data/tokenize/byte';
import { trainBpe } from '../data/tokenize/bpe';
import { loadGpt2Tokenizer } from '../data/tokenize/gpt2';
import type { Tokenizer, TokenizerJson, TokenizerKind } from '../data/tokenize/tokenizer';
import type { DatasetMeta } from '../runtime/io';

export interface TextDatasetOptions {
  tokenizer: TokenizerKind;
  /** BPE vocabulary incl. the 256 bytes (default 1024); byte and gpt2 are fixed. */
  vocabSize?: number;
  /** Share of the text held out for validation, in [0, 1) (default 0.1). */
  validFraction?: number;
}

/** A tokenized text, as the dataset files would hold it. */
export interface TextDataset {
  train: Uint8Array; // train_ids.npy bytes
  valid: Uint8Array; // valid_ids.npy bytes
  tokenizer: TokenizerJson; // tokenizer.json
  meta: DatasetMeta & { train_tokens: number; valid_tokens: number; dtype: 'uint16' | 'uint32' };
}

/**
 * Cuts `text` near `1 - validFraction` of its length, just after a newline, as
 * engine/node/tokenize-files.ts's splitTrainValid does (that module needs Node, this one must not).
 * @example splitText('a\nb\nc\nd\n', 0.25) // { train: 'a\nb\nc\n', valid: 'd\n' }
 */
export function splitText(text: string, validFraction: number): { train: string; valid: string } {
  if (!(validFraction >= 0 && validFraction < 1)) throw new RangeError(`validFraction must be in [0, 1), got ${validFraction}`);
  if (validFraction === 0) return { train: text, valid: '' };
  let cut = Math.round(text.length * (1 - validFraction));
  const newline = text.lastIndexOf('\n', cut - 1);
  if (newline >= 0) cut = newline + 1;
  else if (cut > 0 && cut < text.length && /[\uD800-\uDBFF]/.test(text[cut - 1])) cut--; // keep surrogate pairs whole
  return { train: text.slice(0, cut), valid: text.slice(cut) };
}

/**
 * Tokenizes `text` into train/valid ids (BPE is trained on the train part only).
 * @example
 *   const data = await tokenizeTextDataset(await file.text(), { tokenizer: 'byte' });
 *   data.meta.vocab_size; // 256
 */
export async function tokenizeTextDataset(text: string, options: TextDatasetOptions): Promise<TextDataset> {
  const { train, valid } = splitText(text, options.validFraction ?? 0.1);
  let tokenizer: Tokenizer;
  if (options.tokenizer === 'bpe') tokenizer = trainBpe(train, options.vocabSize ?? 1024);
  else if (options.tokenizer === 'gpt2') tokenizer = await loadGpt2Tokenizer();
  else if (options.tokenizer === 'byte') tokenizer = new ByteTokenizer();
  else throw new Error(`unknown tokenizer '${String(options.tokenizer)}' (expected byte, bpe, gpt2)`);
  const trainIds = tokenizer.encode(train);
  const validIds = tokenizer.encode(valid);
  let maxId = -1;
  for (const ids of [trainIds, validIds]) for (let i = 0; i < ids.length; i++) if (ids[i] > maxId) maxId = ids[i];
  // Ids < 65536 fit uint16, as the Node tokenizer writes them.
  const dtype = tokenizer.vocabSize <= 65536 ? 'uint16' : 'uint32';
  const toNpy = (ids: Uint32Array) => encodeNpy(dtype === 'uint16' ? Uint16Array.from(ids) : ids);
  return {
    train: toNpy(trainIds),
    valid: toNpy(validIds),
    tokenizer: tokenizer.toJSON(),
    meta: {
      vocab_size: tokenizer.vocabSize, max_id: maxId, tokenizer: tokenizer.kind,
      train_tokens: trainIds.length, valid_tokens: validIds.length, dtype,
    },
  };
}
