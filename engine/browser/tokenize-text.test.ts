// tokenizeTextDataset gives the same files as the Node tokenizer (engine/node/tokenize-files.ts)
// writes for the same text and options, byte for byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { splitTrainValid, tokenizeText } from '../node/tokenize-files';
import { splitText, tokenizeTextDataset } from './tokenize-text';

const TEXT = Array.from({ length: 60 }, (_, i) => `Line ${i}: the quick brown fox jumps over the lazy dog ${'é'.repeat(i % 3)}.`).join('\n') + '\n';

test('splitText cuts where the Node tokenizer cuts', () => {
  for (const [text, f] of [[TEXT, 0.1], [TEXT, 0], [TEXT, 0.5], ['no newline at all', 0.3], ['a\nb\nc\nd\n', 0.25], ['x😀y😀z', 0.4]] as const) {
    assert.deepEqual(splitText(text, f), splitTrainValid(text, f), `${JSON.stringify(text.slice(0, 20))} ${f}`);
  }
  assert.throws(() => splitText('abc', 1), /validFraction must be in \[0, 1\)/);
});

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
