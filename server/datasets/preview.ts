// GET /api/datasets/:id/preview: a window of token ids from one split, each decoded, so a person
// can see what the tokenizer made of their text.
import { join } from 'node:path';
import { NpyTokenReader } from '../../engine/data/npy';
import { loadTokenizer, type Tokenizer } from '../../engine/data/tokenize/tokenizer';
import { openFileSource } from '../../engine/node/file-source';
import { DATASET_FILES } from '../../engine/node/tokenize-files';
import { HttpError } from '../http';
import { readJson } from './store';

/** Most ids one preview returns. */
export const MAX_PREVIEW_TOKENS = 4096;

export interface DatasetPreview {
  split: 'train' | 'valid';
  offset: number;
  total: number; // tokens in the split
  ids: number[];
  tokens: string[] | null; // each id decoded alone (null without tokenizer.json)
  text: string | null; // the window decoded as a whole
}

function intParam(query: URLSearchParams, key: string, fallback: number, max: number): number {
  const raw = query.get(key);
  if (raw === null) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) > max) throw new HttpError(400, `?${key} must be an integer from 0 to ${max}, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

/**
 * @example await readPreview('data/datasets/ds-0123456789ab', new URLSearchParams('split=valid&length=64'))
 */
export async function readPreview(dir: string, query: URLSearchParams): Promise<DatasetPreview> {
  const split = query.get('split') ?? 'train';
  if (split !== 'train' && split !== 'valid') throw new HttpError(400, `?split must be train or valid, got ${JSON.stringify(split)}`);
  const offset = intParam(query, 'offset', 0, Number.MAX_SAFE_INTEGER);
  const length = intParam(query, 'length', 256, MAX_PREVIEW_TOKENS);
  const source = await openFileSource(join(dir, split === 'train' ? DATASET_FILES.train : DATASET_FILES.valid));
  try {
    const reader = await NpyTokenReader.open(source);
    if (offset > reader.length) throw new HttpError(400, `?offset ${offset} is past the end of the ${split} split (${reader.length} tokens)`);
    const ids = Array.from(await reader.read(offset, Math.min(length, reader.length - offset)));
    const tokenizer = await tokenizerOf(dir);
    return {
      split,
      offset,
      total: reader.length,
      ids,
      tokens: tokenizer ? ids.map((id) => tokenizer.decode([id])) : null,
      text: tokenizer ? tokenizer.decode(ids) : null,
    };
  } finally {
    await source.close();
  }
}

async function tokenizerOf(dir: string): Promise<Tokenizer | undefined> {
  const json = await readJson(join(dir, DATASET_FILES.tokenizer));
  return json === undefined ? undefined : loadTokenizer(json);
}
