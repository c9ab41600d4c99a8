// dataset: how the node runs (its ports and params: engine/nodes/dataset.ts).
import { NpyTokenReader } from '../../data/npy';
import { dataset } from '../../nodes/dataset';
import { implementNode } from '../../nodes/define';
import type { DatasetMeta } from '../io';

/** The value on a TokenSource edge: one split, readable in windows. */
export interface TokenSplit {
  reader: NpyTokenReader;
  /** 'train' or 'valid', for messages. */
  split: string;
  meta?: DatasetMeta;
  /** tokenizer.json contents (absent: byte-level). */
  tokenizer?: unknown;
}

export const datasetImplementation = implementNode(dataset, {
  async create(p, ctx) {
    const files = await ctx.io.openDataset({
      source: p.source,
      tokenizer: p.tokenizer,
      vocabSize: p.vocab_size,
      trainPath: p.train_path,
      validPath: p.valid_path,
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
