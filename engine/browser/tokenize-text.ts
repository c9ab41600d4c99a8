// Text -> in-memory dataset (train/valid .npy bytes, tokenizer.json, meta.json) for a browser run:
// the same split and files as engine/node/tokenize-files.ts writes to disk, without the file system.
import { encodeSplits, makeTokenizer, splitTrainValid } from '../data/tokenize/dataset';
import type { TokenizerJson, TokenizerKind } from '../data/tokenize/tokenizer';
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
 * Tokenizes `text` into train/valid ids (BPE is trained on the train part only).
 * @example
 *   const data = await tokenizeTextDataset(await file.text(), { tokenizer: 'byte' });
 *   data.meta.vocab_size; // 256
 */
export async function tokenizeTextDataset(text: string, options: TextDatasetOptions): Promise<TextDataset> {
  const { train, valid } = splitTrainValid(text, options.validFraction ?? 0.1);
  const tokenizer = await makeTokenizer(options.tokenizer, train, options.vocabSize ?? 1024);
  const { trainIds, validIds, trainNpy, validNpy, maxId, dtype } = encodeSplits(tokenizer, train, valid);
  return {
    train: trainNpy,
    valid: validNpy,
    tokenizer: tokenizer.toJSON(),
    meta: {
      vocab_size: tokenizer.vocabSize,
      max_id: maxId,
      tokenizer: tokenizer.kind,
      train_tokens: trainIds.length,
      valid_tokens: validIds.length,
      dtype,
    },
  };
}
