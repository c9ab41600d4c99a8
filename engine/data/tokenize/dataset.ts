// Text -> token-id dataset in memory: the split, the tokenizer and the .npy encoding that the
// Node tokenizer (engine/node/tokenize-files.ts, writes a folder) and the browser
// (engine/browser/tokenize-text.ts, keeps bytes) share.
import { encodeNpy } from '../npy';
import { trainBpe } from './bpe';
import { ByteTokenizer } from './byte';
import { loadGpt2Tokenizer } from './gpt2';
import type { Tokenizer, TokenizerKind } from './tokenizer';

/** Throws unless 0 <= f < 1. */
export function checkValidFraction(f: number): void {
  if (!(f >= 0 && f < 1)) throw new RangeError(`validFraction must be in [0, 1), got ${f}`);
}

/**
 * Cuts `text` into train and valid near `1 - validFraction` of its length, just after a
 * newline so no line is split (or at the exact point if the text has no newline after it).
 * @example
 *   splitTrainValid('a\nb\nc\nd\n', 0.25); // { train: 'a\nb\nc\n', valid: 'd\n' }
 */
export function splitTrainValid(text: string, validFraction: number): { train: string; valid: string } {
  checkValidFraction(validFraction);
  if (validFraction === 0) return { train: text, valid: '' };
  let cut = Math.round(text.length * (1 - validFraction));
  const newline = text.lastIndexOf('\n', cut - 1);
  if (newline >= 0) cut = newline + 1;
  // Don't cut a surrogate pair in half (only reachable when there is no newline to cut at).
  else if (cut > 0 && cut < text.length && /[\uD800-\uDBFF]/.test(text[cut - 1])) cut--;
  return { train: text.slice(0, cut), valid: text.slice(cut) };
}

/** The tokenizer of `kind`; BPE is trained on `trainText` (never on the validation text). */
export async function makeTokenizer(kind: TokenizerKind, trainText: string, vocabSize: number): Promise<Tokenizer> {
  if (kind === 'bpe') return trainBpe(trainText, vocabSize);
  if (kind === 'gpt2') return loadGpt2Tokenizer();
  if (kind === 'byte') return new ByteTokenizer();
  throw new Error(`unknown tokenizer '${String(kind)}' (expected byte, bpe, gpt2)`);
}

export interface EncodedSplits {
  trainIds: Uint32Array;
  validIds: Uint32Array;
  /** .npy bytes of the two splits. */
  trainNpy: Uint8Array;
  validNpy: Uint8Array;
  maxId: number;
  /** uint16 when the vocabulary fits (half the size, what nanoGPT writes for GPT-2), else uint32. */
  dtype: 'uint16' | 'uint32';
}

/**
 * @example const { trainNpy, maxId } = encodeSplits(new ByteTokenizer(), 'abc\n', 'd\n');
 */
export function encodeSplits(tokenizer: Tokenizer, train: string, valid: string): EncodedSplits {
  const trainIds = tokenizer.encode(train);
  const validIds = tokenizer.encode(valid);
  let maxId = -1;
  for (const ids of [trainIds, validIds]) for (let i = 0; i < ids.length; i++) if (ids[i] > maxId) maxId = ids[i];
  const dtype = tokenizer.vocabSize <= 65536 ? 'uint16' : 'uint32';
  const toNpy = (ids: Uint32Array) => encodeNpy(dtype === 'uint16' ? Uint16Array.from(ids) : ids);
  return { trainIds, validIds, trainNpy: toNpy(trainIds), validNpy: toNpy(validIds), maxId, dtype };
}
