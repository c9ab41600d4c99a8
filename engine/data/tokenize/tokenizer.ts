// The Tokenizer interface shared by the byte, BPE and GPT-2 tokenizers, and their JSON form.
// A dataset folder keeps `tokenizer.json` next to its ids, so a sampler can restore the exact
// tokenizer and decode generated ids.

import { z } from 'zod';
import { ByteTokenizer, BYTE_VOCAB_SIZE } from './byte';
import { BpeTokenizer } from './bpe';
import { GPT2_VOCAB_SIZE, gpt2TokenizerIfLoaded, loadGpt2Tokenizer } from './gpt2';

/** Which tokenizer family; also the `tokenizer` field of a dataset's meta.json. */
export type TokenizerKind = 'byte' | 'bpe' | 'gpt2';
export const TOKENIZER_KINDS = ['byte', 'bpe', 'gpt2'] as const satisfies readonly TokenizerKind[];

/** Text <-> token ids. Ids are in 0..vocabSize-1. */
export interface Tokenizer {
  readonly kind: TokenizerKind;
  /** Number of ids; a model's embedding table needs this many rows. */
  readonly vocabSize: number;
  encode(text: string): Uint32Array;
  /** Never throws on invalid UTF-8 (e.g. a sample cut mid-character): shows U+FFFD instead. */
  decode(ids: ArrayLike<number>): string;
  /** Plain data that `loadTokenizer` / `tokenizerFromJSON` turn back into this tokenizer. */
  toJSON(): TokenizerJson;
}

const byteJson = z.object({ kind: z.literal('byte'), vocabSize: z.literal(BYTE_VOCAB_SIZE) });
const bpeJson = z.object({
  kind: z.literal('bpe'),
  vocabSize: z.number().int(),
  pattern: z.literal('gpt2').describe('pre-split regex; only GPT-2\'s exists today'),
  merges: z.array(z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()])),
});
const gpt2Json = z.object({ kind: z.literal('gpt2'), vocabSize: z.literal(GPT2_VOCAB_SIZE) });

/** Schema of `tokenizer.json`, checked wherever the file is read. */
export const tokenizerJsonSchema = z.discriminatedUnion('kind', [byteJson, bpeJson, gpt2Json]);
export type TokenizerJson = z.infer<typeof tokenizerJsonSchema>;
export type ByteTokenizerJson = z.infer<typeof byteJson>;
export type BpeTokenizerJson = z.infer<typeof bpeJson>;
export type Gpt2TokenizerJson = z.infer<typeof gpt2Json>;

/**
 * Restores a tokenizer from its JSON, synchronously. Works for byte and BPE tokenizers
 * always, and for GPT-2 only once its ranks are loaded (`loadTokenizer` or
 * `loadGpt2Tokenizer` awaited before); otherwise it throws. Prefer `loadTokenizer`.
 * @example
 *   const tok = tokenizerFromJSON(JSON.parse(text)); // text = contents of tokenizer.json
 *   tok.decode([72, 105]); // 'Hi' (byte tokenizer)
 */
export function tokenizerFromJSON(json: unknown): Tokenizer {
  const parsed = parseTokenizerJson(json);
  switch (parsed.kind) {
    case 'byte':
      return new ByteTokenizer();
    case 'bpe': {
      const tok = new BpeTokenizer(parsed.merges);
      if (tok.vocabSize !== parsed.vocabSize) {
        throw new Error(`tokenizer.json: bpe vocabSize ${parsed.vocabSize} != 256 + ${parsed.merges.length} merges`);
      }
      return tok;
    }
    case 'gpt2': {
      const tok = gpt2TokenizerIfLoaded();
      if (tok === undefined) {
        throw new Error('tokenizer.json: the gpt2 ranks are not loaded yet; use `await loadTokenizer(json)`');
      }
      return tok;
    }
  }
}

/**
 * Restores any tokenizer from its JSON, loading GPT-2's ranks on demand.
 * @example
 *   const tok = await loadTokenizer({ kind: 'gpt2', vocabSize: 50257 });
 *   tok.decode([15496, 995]); // 'Hello world'
 */
export async function loadTokenizer(json: unknown): Promise<Tokenizer> {
  const parsed = parseTokenizerJson(json);
  if (parsed.kind === 'gpt2') return loadGpt2Tokenizer();
  return tokenizerFromJSON(parsed);
}

/** Validates `tokenizer.json` contents, with a readable error. */
export function parseTokenizerJson(json: unknown): TokenizerJson {
  const result = tokenizerJsonSchema.safeParse(json);
  if (!result.success) {
    throw new Error(`tokenizer.json is invalid: ${z.prettifyError(result.error)}`);
  }
  return result.data;
}
