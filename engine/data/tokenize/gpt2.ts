// GPT-2's tokenizer (byte-level BPE, 50257 ids) using the merge ranks that ship with the
// js-tiktoken package. The ranks are ~0.5 MB of JS, so they are loaded with a dynamic import:
// a browser bundle only fetches them when a GPT-2 tokenizer is actually requested.

import { IdBuilder } from './ids';
import { splitChunks } from './pretokenize';
import type { Gpt2TokenizerJson, Tokenizer } from './tokenizer';

/** GPT-2's vocabulary: 50000 merges + 256 bytes + <|endoftext|> (id 50256). */
export const GPT2_VOCAB_SIZE = 50257;
/** Chunk cache entries kept by `encode` before it starts over. */
const CACHE_LIMIT = 1 << 17;

/** The part of js-tiktoken's `Tiktoken` class we use. */
interface TiktokenLike {
  encode(text: string, allowedSpecial?: string[] | 'all', disallowedSpecial?: string[] | 'all'): number[];
  decode(tokens: number[]): string;
}

let loaded: Promise<TiktokenLike> | undefined;
let ready: TiktokenLike | undefined;

/** Loads (once) js-tiktoken's GPT-2 ranks; later calls reuse the same instance. */
function loadTiktoken(): Promise<TiktokenLike> {
  loaded ??= Promise.all([import('js-tiktoken/lite'), import('js-tiktoken/ranks/gpt2')]).then(
    ([lite, ranks]) => {
      ready = new lite.Tiktoken(ranks.default);
      return ready;
    },
  );
  return loaded;
}

/**
 * The GPT-2 tokenizer, loading its ranks on first use.
 * @example
 *   const tok = await loadGpt2Tokenizer();
 *   tok.encode('Hello world'); // Uint32Array [15496, 995]
 */
export async function loadGpt2Tokenizer(): Promise<Gpt2Tokenizer> {
  return new Gpt2Tokenizer(await loadTiktoken());
}

/** The GPT-2 tokenizer if its ranks are already loaded in this process, else undefined. */
export function gpt2TokenizerIfLoaded(): Gpt2Tokenizer | undefined {
  return ready === undefined ? undefined : new Gpt2Tokenizer(ready);
}

/**
 * GPT-2 encoding with a per-chunk cache (js-tiktoken itself re-merges every chunk).
 * `<|endoftext|>` in the input is treated as plain text, never as the special token, so a
 * text file can't inject control ids; `decode` does render id 50256 as `<|endoftext|>`.
 */
export class Gpt2Tokenizer implements Tokenizer {
  readonly kind = 'gpt2' as const;
  readonly vocabSize = GPT2_VOCAB_SIZE;
  private cache = new Map<string, number[]>();

  /** Use `loadGpt2Tokenizer()`; the constructor needs the loaded ranks. */
  constructor(private readonly tiktoken: TiktokenLike) {}

  encode(text: string): Uint32Array {
    const out = new IdBuilder(text.length / 3);
    // Splitting here with the same GPT-2 pattern yields exactly the chunks tiktoken would
    // split, and each chunk re-splits to itself, so per-chunk encoding equals whole-text encoding.
    for (const chunk of splitChunks(text)) {
      let ids = this.cache.get(chunk);
      if (ids === undefined) {
        ids = this.tiktoken.encode(chunk, [], []);
        if (this.cache.size >= CACHE_LIMIT) this.cache = new Map();
        this.cache.set(chunk, ids);
      }
      out.pushAll(ids);
    }
    return out.finish();
  }

  /** Ids back to text; invalid UTF-8 becomes U+FFFD. */
  decode(ids: ArrayLike<number>): string {
    const list = Array.from(ids);
    list.forEach((id, i) => {
      if (!(Number.isInteger(id) && id >= 0 && id < GPT2_VOCAB_SIZE)) {
        throw new RangeError(`gpt2: id ${id} at position ${i} is outside the vocab (${GPT2_VOCAB_SIZE})`);
      }
    });
    return this.tiktoken.decode(list);
  }

  toJSON(): Gpt2TokenizerJson {
    return { kind: 'gpt2', vocabSize: GPT2_VOCAB_SIZE };
  }
}
