// tokenizeTextDataset gives the same files as the Node tokenizer (engine/node/tokenize-files.ts)
// writes for the same text and options, byte for byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tokenizeText } from '../node/tokenize-files';
import { tokenizeTextDataset } from './tokenize-text';

const TEXT = Array.from({ length: 60 }, (_, i) => `Line ${i}: the quick brown fox jumps over the lazy dog ${'é'.repeat(i % 3)}.`).join('\n') + '\n';

for (const options of [{ tokenizer: 'byte' as const }, { tokenizer: 'bpe' as const, vocabSize: 300, validFraction: 0.2 }]) {
  test(`${options.tokenizer}: the same ids, tokenizer and numbers as npm run tokenize`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tokenize-text-'));
    try {
      const info = await tokenizeText(TEXT, dir, options);
      const mine = await tokenizeTextDataset(TEXT, options);
      assert.deepEqual(mine.train, new Uint8Array(await readFile(join(dir, 'train_ids.npy'))));
      assert.deepEqual(mine.valid, new Uint8Array(await readFile(join(dir, 'valid_ids.npy'))));
      assert.deepEqual(mine.tokenizer, JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8')));
      const { vocab_size, max_id, tokenizer, train_tokens, valid_tokens, dtype } = info;
      assert.deepEqual(mine.meta, { vocab_size, max_id, tokenizer, train_tokens, valid_tokens, dtype });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}
