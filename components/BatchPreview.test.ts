// The batch preview shows the windows the run will train on first: its starts equal those of
// readBatch (what get_batch calls) with the same seed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { memorySource } from '../engine/data/byte-source';
import { readBatch } from '../engine/data/batch';
import { encodeNpy, NpyTokenReader } from '../engine/data/npy';
import { Rng } from '../engine/random';
import { firstBatchStarts } from './BatchPreview';

test('firstBatchStarts equals the starts of the first batch get_batch draws', async () => {
  const N = 5000,
    B = 8,
    T = 32;
  const reader = await NpyTokenReader.open(memorySource(encodeNpy(Uint32Array.from({ length: N }, (_, i) => i)), 'ids.npy'));
  for (const seed of [1, 1337, 2 ** 32 - 1]) {
    const { x, y } = await readBatch(reader, new Rng(seed), B, T);
    const starts = firstBatchStarts(N, B, T, seed);
    assert.deepEqual(
      starts,
      Array.from({ length: B }, (_, b) => x[b * T]),
    );
    assert.deepEqual(
      starts.map((s) => s + 1),
      Array.from({ length: B }, (_, b) => y[b * T]),
    );
  }
});
