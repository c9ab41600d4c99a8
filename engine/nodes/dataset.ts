// dataset: the train and validation token ids, read from .npy files in windows.
// Source 'brown' uses the bundled Brown corpus, tokenized on first use; 'library' a dataset of the
// server's library (uploaded and tokenized in the studio); 'files' two .npy paths.
import { z } from 'zod';
import { appliesTo, defineNode, port } from './define';

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
    dataset: appliesTo(z.string().max(100).default('').describe('library dataset id'), ['library'], 'source'),
    tokenizer: appliesTo(z.enum(['byte', 'bpe', 'gpt2']).default('byte').describe('how the Brown corpus is tokenized'), ['brown'], 'source'),
    vocab_size: appliesTo(z.number().int().min(257).max(65_535).default(1024).describe('BPE vocabulary size'), ['bpe'], 'tokenizer'),
    train_path: appliesTo(z.string().max(1000).default('train_ids.npy').describe('train ids .npy'), ['files'], 'source'),
    valid_path: appliesTo(z.string().max(1000).default('valid_ids.npy').describe('validation ids .npy'), ['files'], 'source'),
  }),
  summary: ['source', 'tokenizer', 'dataset'],
  check: (p) => (p.source === 'library' && p.dataset === '' ? [{ field: 'dataset', message: 'choose a dataset from the library' }] : []),
});
