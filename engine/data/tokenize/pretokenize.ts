// GPT-2's pre-tokenizer: splits text into chunks (contractions, words with their leading
// space, numbers, punctuation runs, whitespace) so BPE merges never cross a chunk boundary.
// Pattern from openai/gpt-2 src/encoder.py (identical to tiktoken's "gpt2" pat_str).

/** The GPT-2 split pattern, as a source string (compile with the `u` flag). */
export const GPT2_SPLIT_PATTERN =
  "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

/**
 * Chunks of `text` in order; their concatenation is `text` (the pattern covers every character).
 * @example
 *   [...splitChunks("Hello  world's 42!")]; // ['Hello', ' ', ' world', "'s", ' 42', '!']
 */
export function* splitChunks(text: string): Generator<string> {
  // A fresh RegExp per call: a shared /g regex carries lastIndex between callers.
  const re = new RegExp(GPT2_SPLIT_PATTERN, 'gu');
  for (let m = re.exec(text); m !== null; m = re.exec(text)) yield m[0];
}
