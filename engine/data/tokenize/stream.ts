// Text that arrives in pieces (a file read in chunks): where a piece may be cut so that encoding
// piece by piece gives the same ids as encoding the whole text, and running unigram counts.

/** Pieces are encoded once this many characters are pending (and a safe cut exists). */
export const PIECE_CHARS = 1 << 20;
/** With no safe cut in sight, a piece is cut anyway at this length (ids may differ at that one cut). */
export const MAX_PIECE_CHARS = 16 << 20;

const isSpace = (c: string | undefined) => c === undefined || /\s/u.test(c);

/**
 * The last index at which `text` can be cut without changing its GPT-2 pre-tokenizer chunks
 * (engine/data/tokenize/pretokenize.ts): just after a '\n' that has a non-space character on
 * each side, so it is a chunk of its own either way. -1 when there is none.
 * @example safeCutIndex('ab\ncd\n'); // 3 ('ab\n' | 'cd\n')
 */
export function safeCutIndex(text: string): number {
  for (let i = text.lastIndexOf('\n'); i > 0; i = text.lastIndexOf('\n', i - 1)) {
    if (i + 1 < text.length && !isSpace(text[i - 1]) && !isSpace(text[i + 1])) return i + 1;
  }
  return -1;
}

/**
 * Splits pending text into a piece to encode now and the rest to keep, or undefined to wait
 * for more text. `final` takes everything. Byte-level ids need no care (any cut is exact).
 * @example takePiece(pending, false, 'bpe') // { piece, rest } or undefined
 */
export function takePiece(pending: string, final: boolean, kind: string): { piece: string; rest: string } | undefined {
  if (final || kind === 'byte') return pending ? { piece: pending, rest: '' } : undefined;
  if (pending.length < PIECE_CHARS) return undefined;
  let cut = safeCutIndex(pending);
  if (cut < 0) {
    if (pending.length < MAX_PIECE_CHARS) return undefined;
    cut = pending.length;
    if (/[\uD800-\uDBFF]/.test(pending[cut - 1])) cut--; // never split a surrogate pair
  }
  return { piece: pending.slice(0, cut), rest: pending.slice(cut) };
}
