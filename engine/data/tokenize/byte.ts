// Byte-level tokenizer: every UTF-8 byte is one token, so the vocabulary is exactly 256.
// The simplest tokenizer that can represent any text; sequences are ~4x longer than BPE's.

import type { ByteTokenizerJson, Tokenizer } from './tokenizer';

const encoder = new TextEncoder();
// fatal: false makes invalid sequences (e.g. a sampled id stream cut mid-character) decode
// to U+FFFD instead of throwing, which is what a sampler wants.
const decoder = new TextDecoder('utf-8', { fatal: false });

/** Size of the byte vocabulary: ids 0..255 are the byte values. */
export const BYTE_VOCAB_SIZE = 256;

/**
 * Text <-> UTF-8 bytes.
 * @example
 *   const tok = new ByteTokenizer();
 *   tok.encode('hé');               // Uint32Array [104, 195, 169]
 *   tok.decode([104, 195, 169]);    // 'hé'
 */
export class ByteTokenizer implements Tokenizer {
  readonly kind = 'byte' as const;
  readonly vocabSize = BYTE_VOCAB_SIZE;

  /** UTF-8 bytes of `text`, widened to token ids. */
  encode(text: string): Uint32Array {
    return Uint32Array.from(encoder.encode(text));
  }

  /** Ids back to text; ids outside 0..255 are a caller bug, invalid UTF-8 becomes U+FFFD. */
  decode(ids: ArrayLike<number>): string {
    const bytes = new Uint8Array(ids.length);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!(id >= 0 && id < BYTE_VOCAB_SIZE) || !Number.isInteger(id)) {
        throw new RangeError(`byte tokenizer: id ${id} at position ${i} is not in 0..255`);
      }
      bytes[i] = id;
    }
    return decoder.decode(bytes);
  }

  toJSON(): ByteTokenizerJson {
    return { kind: 'byte', vocabSize: BYTE_VOCAB_SIZE };
  }
}
