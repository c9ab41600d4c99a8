// Byte-level BPE (Sennrich et al. 2016; GPT-2's byte-level variant) trained on a corpus.
// Text is pre-split with GPT-2's regex, so merges never cross a word/number/punctuation chunk.
// Training follows karpathy/minbpe's RegexTokenizer, but counts pairs over *unique* chunks
// weighted by frequency and updates the counts incrementally after each merge, with a
// lazy max-heap to find the next pair; minbpe rescans every chunk per merge.

import { IdBuilder } from './ids';
import { splitChunks } from './pretokenize';
import type { BpeTokenizerJson, Tokenizer } from './tokenizer';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: false });

/** Ids below 256 are raw bytes; merge i creates id 256 + i. */
const BYTE_IDS = 256;
/** Pair keys pack (a, b) as a * 2^20 + b, exact in a double and ordered like (a, b). */
const PAIR_SHIFT = 2 ** 20;
/** Largest vocabulary a pair key can address. */
export const MAX_BPE_VOCAB = PAIR_SHIFT;
/** Chunk cache entries kept by `encode` before it starts over (bounds memory on huge inputs). */
const CACHE_LIMIT = 1 << 17;

const pairKey = (a: number, b: number) => a * PAIR_SHIFT + b;

/**
 * A trained byte-level BPE: 256 byte ids followed by one id per merge, applied by rank.
 * @example
 *   const tok = trainBpe('low lower lowest', 260);
 *   tok.decode(tok.encode('lowest low')); // 'lowest low'
 */
export class BpeTokenizer implements Tokenizer {
  readonly kind = 'bpe' as const;
  readonly vocabSize: number;
  /** merges[i] = [a, b]: the pair that id 256 + i replaces; a, b < 256 + i. */
  readonly merges: ReadonlyArray<readonly [number, number]>;
  /** pairKey(a, b) -> merged id; lower merged id = higher priority. */
  private readonly ranks = new Map<number, number>();
  /** id -> the bytes it stands for. */
  private readonly vocab: Uint8Array[] = [];
  private cache = new Map<string, Uint32Array>();

  constructor(merges: ReadonlyArray<readonly [number, number]>) {
    if (BYTE_IDS + merges.length > MAX_BPE_VOCAB) {
      throw new RangeError(`bpe: ${merges.length} merges exceed the ${MAX_BPE_VOCAB} vocab limit`);
    }
    for (let i = 0; i < BYTE_IDS; i++) this.vocab.push(Uint8Array.of(i));
    merges.forEach(([a, b], i) => {
      const id = BYTE_IDS + i;
      for (const x of [a, b]) {
        if (!Number.isInteger(x) || x < 0 || x >= id) {
          throw new RangeError(`bpe: merge ${i} refers to id ${x}, which does not exist yet`);
        }
      }
      if (this.ranks.has(pairKey(a, b))) throw new Error(`bpe: merge ${i} (${a}, ${b}) is a duplicate`);
      this.ranks.set(pairKey(a, b), id);
      const bytes = new Uint8Array(this.vocab[a].length + this.vocab[b].length);
      bytes.set(this.vocab[a]);
      bytes.set(this.vocab[b], this.vocab[a].length);
      this.vocab.push(bytes);
    });
    this.merges = merges.map(([a, b]) => [a, b] as const);
    this.vocabSize = BYTE_IDS + merges.length;
  }

  /** Token ids of `text`: each GPT-2 chunk is encoded on its own (and cached). */
  encode(text: string): Uint32Array {
    const out = new IdBuilder(text.length / 3);
    for (const chunk of splitChunks(text)) {
      let ids = this.cache.get(chunk);
      if (ids === undefined) {
        ids = this.encodeBytes(encoder.encode(chunk));
        if (this.cache.size >= CACHE_LIMIT) this.cache = new Map();
        this.cache.set(chunk, ids);
      }
      out.pushAll(ids);
    }
    return out.finish();
  }

  /**
   * Applies merges to one chunk's bytes: repeatedly merge every occurrence of the adjacent
   * pair with the lowest rank. That equals replaying the merges in training order, because a
   * pair involving a merged id always ranks after the merge that created it.
   * Slow path for pathological chunks (O(length x merges used)); fine for natural text.
   */
  encodeBytes(bytes: Uint8Array): Uint32Array {
    let syms: number[] = Array.from(bytes);
    while (syms.length > 1) {
      let best = Infinity;
      for (let i = 0; i + 1 < syms.length; i++) {
        const id = this.ranks.get(pairKey(syms[i], syms[i + 1]));
        if (id !== undefined && id < best) best = id;
      }
      if (best === Infinity) break;
      const [a, b] = this.merges[best - BYTE_IDS];
      syms = mergePair(syms, a, b, best) ?? syms;
    }
    return Uint32Array.from(syms);
  }

  /** Ids back to text; invalid UTF-8 (e.g. a sample cut mid-character) becomes U+FFFD. */
  decode(ids: ArrayLike<number>): string {
    let length = 0;
    for (let i = 0; i < ids.length; i++) {
      const bytes = this.vocab[ids[i]];
      if (bytes === undefined) {
        throw new RangeError(`bpe: id ${ids[i]} at position ${i} is outside the vocab (${this.vocabSize})`);
      }
      length += bytes.length;
    }
    const out = new Uint8Array(length);
    let at = 0;
    for (let i = 0; i < ids.length; i++) {
      out.set(this.vocab[ids[i]], at);
      at += this.vocab[ids[i]].length;
    }
    return decoder.decode(out);
  }

  /** The bytes token `id` stands for (handy to display a vocabulary). */
  tokenBytes(id: number): Uint8Array {
    const bytes = this.vocab[id];
    if (bytes === undefined) throw new RangeError(`bpe: id ${id} is outside the vocab`);
    return bytes;
  }

  toJSON(): BpeTokenizerJson {
    return {
      kind: 'bpe',
      vocabSize: this.vocabSize,
      pattern: 'gpt2',
      merges: this.merges.map(([a, b]) => [a, b]),
    };
  }
}

/** `syms` with non-overlapping (a, b) pairs, left to right, replaced by `id`; null if none. */
function mergePair(syms: number[], a: number, b: number, id: number): number[] | null {
  let out: number[] | null = null;
  for (let i = 0; i < syms.length; i++) {
    if (syms[i] === a && i + 1 < syms.length && syms[i + 1] === b) {
      out ??= syms.slice(0, i);
      out.push(id);
      i++;
    } else if (out !== null) {
      out.push(syms[i]);
    }
  }
  return out;
}

/**
 * Trains a byte-level BPE on `text` until the vocabulary holds `vocabSize` ids (256 bytes +
 * merges), or until no adjacent pair is left (then the vocab is smaller than asked).
 * Each step merges the most frequent adjacent pair; ties go to the lowest (a, b), so the
 * result depends only on the text.
 * @example
 *   const tok = trainBpe(corpusText, 1024);
 *   tok.vocabSize;      // 1024 (for any corpus with enough distinct pairs)
 *   tok.merges[0];      // e.g. [101, 32] = 'e' + ' '... whatever pair is most frequent
 */
export function trainBpe(text: string, vocabSize: number): BpeTokenizer {
  // 1. Unique chunks with their frequencies; natural text has ~100x fewer unique chunks.
  const chunkFreq = new Map<string, number>();
  countChunks(text, chunkFreq);
  return trainBpeOnChunks(chunkFreq, vocabSize);
}

/**
 * Adds the pre-tokenizer chunks of `text` to `chunkFreq`: what trainBpe counts, for text that
 * arrives in pieces (cut where splitChunks would cut anyway, see safeChunkEnd).
 * @example const freq = new Map(); countChunks('a b', freq); // Map { 'a' => 1, ' b' => 1 }
 */
export function countChunks(text: string, chunkFreq: Map<string, number>): void {
  for (const chunk of splitChunks(text)) chunkFreq.set(chunk, (chunkFreq.get(chunk) ?? 0) + 1);
}

/**
 * trainBpe on counted chunks (countChunks): the same merges as trainBpe on the whole text.
 * @example const tok = trainBpeOnChunks(freq, 512);
 */
export function trainBpeOnChunks(chunkFreq: Map<string, number>, vocabSize: number): BpeTokenizer {
  if (!Number.isInteger(vocabSize) || vocabSize < BYTE_IDS || vocabSize > MAX_BPE_VOCAB) {
    throw new RangeError(`bpe: vocabSize must be an integer in ${BYTE_IDS}..${MAX_BPE_VOCAB}, got ${vocabSize}`);
  }

  // 2. Each unique chunk becomes a "word": its current symbols and its frequency.
  //    Single-byte chunks hold no pair and can never change, so they are left out.
  const words: number[][] = [];
  const freqs: number[] = [];
  for (const [chunk, freq] of chunkFreq) {
    const bytes = encoder.encode(chunk);
    if (bytes.length < 2) continue;
    words.push(Array.from(bytes));
    freqs.push(freq);
  }

  // 3. Pair counts (weighted by word frequency) and, per pair, the words that contain it.
  //    `where` lists may go stale (a word merged away from the pair); merging re-checks.
  const counts = new Map<number, number>();
  const where = new Map<number, number[]>();
  const addWhere = (key: number, w: number) => {
    const list = where.get(key);
    if (list === undefined) where.set(key, [w]);
    else if (list[list.length - 1] !== w) list.push(w);
  };
  words.forEach((syms, w) => {
    for (let i = 0; i + 1 < syms.length; i++) {
      const key = pairKey(syms[i], syms[i + 1]);
      counts.set(key, (counts.get(key) ?? 0) + freqs[w]);
      addWhere(key, w);
    }
  });
  const heap = new PairHeap();
  for (const [key, count] of counts) heap.push(count, key);

  // 4. Merge loop. Heap entries are (count, key) snapshots; one whose count no longer matches
  //    `counts` is stale and skipped, so updates only ever push.
  const merges: [number, number][] = [];
  const seen = new Int32Array(words.length).fill(-1); // last merge that visited word w
  while (BYTE_IDS + merges.length < vocabSize) {
    const top = heap.pop();
    if (top === undefined) break; // every chunk is a single token: nothing left to merge
    const [count, key] = top;
    if (counts.get(key) !== count) continue;

    const a = Math.floor(key / PAIR_SHIFT);
    const b = key - a * PAIR_SHIFT;
    const id = BYTE_IDS + merges.length;
    merges.push([a, b]);

    // Rewrite each word that contains (a, b); move its old pairs' counts to its new pairs.
    const delta = new Map<number, number>();
    for (const w of where.get(key) ?? []) {
      if (seen[w] === id) continue;
      seen[w] = id;
      const old = words[w];
      const next = mergePair(old, a, b, id);
      if (next === null) continue; // stale entry
      const f = freqs[w];
      for (let i = 0; i + 1 < old.length; i++) {
        const k = pairKey(old[i], old[i + 1]);
        delta.set(k, (delta.get(k) ?? 0) - f);
      }
      for (let i = 0; i + 1 < next.length; i++) {
        const k = pairKey(next[i], next[i + 1]);
        delta.set(k, (delta.get(k) ?? 0) + f);
        // Only pairs with the new id are new to this word; the others already list it.
        if (next[i] === id || next[i + 1] === id) addWhere(k, w);
      }
      words[w] = next;
    }
    where.delete(key);
    for (const [k, d] of delta) {
      if (d === 0) continue;
      const c = (counts.get(k) ?? 0) + d;
      if (c > 0) {
        counts.set(k, c);
        heap.push(c, k);
      } else {
        counts.delete(k);
      }
    }
  }
  return new BpeTokenizer(merges);
}

/** Binary max-heap of (count, pairKey): highest count first, then lowest key (= lowest (a, b)). */
class PairHeap {
  private counts: number[] = [];
  private keys: number[] = [];

  push(count: number, key: number): void {
    this.counts.push(count);
    this.keys.push(key);
    let i = this.counts.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): [count: number, key: number] | undefined {
    const n = this.counts.length;
    if (n === 0) return undefined;
    const top: [number, number] = [this.counts[0], this.keys[0]];
    this.swap(0, n - 1);
    this.counts.pop();
    this.keys.pop();
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < n - 1 && this.before(l, best)) best = l;
      if (r < n - 1 && this.before(r, best)) best = r;
      if (best === i) break;
      this.swap(i, best);
      i = best;
    }
    return top;
  }

  private before(i: number, j: number): boolean {
    return this.counts[i] > this.counts[j] || (this.counts[i] === this.counts[j] && this.keys[i] < this.keys[j]);
  }

  private swap(i: number, j: number): void {
    [this.counts[i], this.counts[j]] = [this.counts[j], this.counts[i]];
    [this.keys[i], this.keys[j]] = [this.keys[j], this.keys[i]];
  }
}
