// Random training windows from a token split: the batch layout every executor shares.
import type { Rng } from '../random';
import type { NpyTokenReader } from './npy';

/** B sequences of T tokens: x[b] = tokens[i_b : i_b+T], y[b] = tokens[i_b+1 : i_b+T+1], row-major [B, T]. */
export interface Batch {
  x: Int32Array;
  y: Int32Array;
}

/**
 * Draws B window starts i_b = rng.index(N - T), in order b = 0..B-1, then reads the windows, all
 * at once: from a file that is B concurrent reads instead of B round trips one after the other.
 * @example const { x, y } = await readBatch(reader, rng, 16, 64);
 */
export async function readBatch(reader: NpyTokenReader, rng: Rng, B: number, T: number): Promise<Batch> {
  const windows = reader.length - T;
  if (windows < 1) throw new Error(`the split has ${reader.length} tokens; context_length ${T} needs at least ${T + 1}`);
  const starts = Array.from({ length: B }, () => rng.index(windows));
  const read = await Promise.all(starts.map((start) => reader.read(start, T + 1)));
  const x = new Int32Array(B * T);
  const y = new Int32Array(B * T);
  read.forEach((window, b) => {
    x.set(window.subarray(0, T), b * T);
    y.set(window.subarray(1), b * T);
  });
  return { x, y };
}
