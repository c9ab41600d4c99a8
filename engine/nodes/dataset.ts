// dataset: the train and validation token ids, read from .npy files in windows.
// Source 'brown' uses the bundled Brown corpus, tokenized on first use; 'library' a dataset of the
// server's library (uploaded and tokenized in the studio); 'files' two .npy paths.
import { z } from 'zod';
import { NpyTokenReader } from '../data/npy';
import type { DatasetMeta } from '../runtime/io';
import { defineNode, port } from './define';

/** The value on a TokenSource edge: one split, readable in windows. */
export interface TokenSplit {
  reader: NpyTokenReader;
  /** 'train' or 'valid', for messages. */
  split: string;
  meta?: DatasetMeta;
  /** tokenizer.json contents (absent: byte-level). */
  tokenizer?: unknown;
}

export const dataset = defineNode({
  kind: 'dataset',
  title: 'Dataset',
  category: 'data',
  description: 'Train and validation token ids (train_ids.npy / valid_ids.npy), read in windows from disk.',
  version: 1,
  inputs: {},
  outputs: { train: port('TokenSource', 'train'), valid: port('TokenSource', 'valid') },
  params: z.object({
    source: z.enum(['brown', 'files', 'library']).default('brown').describe('the bundled Brown corpus, your own .npy files, or a dataset of the library'),
    dataset: z.string().max(100).default('').describe('library dataset id (source library)'),
    tokenizer: z.enum(['byte', 'bpe', 'gpt2']).default('byte').describe('how the Brown corpus is tokenized (source brown)'),
    vocab_size: z.number().int().min(257).max(65_535).default(1024).describe('BPE vocabulary size (tokenizer bpe)'),
    train_path: z.string().max(1000).default('train_ids.npy').describe('train ids .npy (source files)'),
    valid_path: z.string().max(1000).default('valid_ids.npy').describe('validation ids .npy (source files)'),
  }),
  summary: ['source', 'tokenizer', 'dataset'],
  check: (p) => (p.source === 'library' && p.dataset === '' ? [{ field: 'dataset', message: 'choose a dataset from the library' }] : []),
  async create(p, ctx) {
    const files = await ctx.io.openDataset({
      source: p.source, tokenizer: p.tokenizer, vocabSize: p.vocab_size, trainPath: p.train_path, validPath: p.valid_path,
      ...(p.source === 'library' ? { dataset: p.dataset } : {}),
    });
    const train = await NpyTokenReader.open(files.train);
    const valid = await NpyTokenReader.open(files.valid);
    // The largest id decides the smallest vocabulary a model can use (checked after setup).
    const maxId = files.meta?.max_id ?? Math.max(await train.maxId(), await valid.maxId());
    ctx.info({ train_tokens: train.length, valid_tokens: valid.length, max_id: maxId });
    const split = (reader: NpyTokenReader, name: string): TokenSplit => ({ reader, split: name, meta: files.meta, tokenizer: files.tokenizer });
    return { outputs: { train: split(train, 'train'), valid: split(valid, 'valid') } };
  },
});
