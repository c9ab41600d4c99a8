import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { decodeNpy } from '../data/npy';
import { loadTokenizer } from '../data/tokenize/tokenizer';
import { unigramEntropy } from '../data/tokenize/stats';
import { splitTrainValid, tokenizeText } from './tokenize-files';

const TEXT =
  Array.from({ length: 200 }, (_, i) => `Line ${i}: the quick brown fox ${i % 7 === 0 ? 'jumps over the lazy dog' : 'naps'} — café ${i % 3 ? '😀' : ''}`).join(
    '\n',
  ) + '\n';

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tokenize-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function readDataset(dir: string) {
  const meta = JSON.parse(await readFile(path.join(dir, 'meta.json'), 'utf8'));
  const train = decodeNpy(await readFile(path.join(dir, 'train_ids.npy')));
  const valid = decodeNpy(await readFile(path.join(dir, 'valid_ids.npy')));
  // Every vocab used here fits uint16.
  assert.equal(train.header.dtype, 'uint16');
  assert.ok(train.data instanceof Uint16Array && valid.data instanceof Uint16Array);
  const tok = await loadTokenizer(JSON.parse(await readFile(path.join(dir, 'tokenizer.json'), 'utf8')));
  return { meta, train: train.data, valid: valid.data, tok };
}

test('splitTrainValid: cuts after a newline near the fraction', () => {
  assert.deepEqual(splitTrainValid('a\nb\nc\nd\n', 0.25), { train: 'a\nb\nc\n', valid: 'd\n' });
  assert.deepEqual(splitTrainValid('aaaa\nbb\nc', 0.5), { train: 'aaaa\n', valid: 'bb\nc' });
  assert.deepEqual(splitTrainValid('abc', 0), { train: 'abc', valid: '' });
  assert.deepEqual(splitTrainValid('abcdefghij', 0.2), { train: 'abcdefgh', valid: 'ij' }); // no newline
  assert.deepEqual(splitTrainValid('ab😀cd', 0.5), { train: 'ab', valid: '😀cd' }); // surrogates stay whole
  assert.throws(() => splitTrainValid('abc', 1), /validFraction/);
});

for (const kind of ['byte', 'bpe', 'gpt2'] as const) {
  test(`tokenizeText (${kind}): files agree with meta.json and decode back to the text`, async () => {
    await withTempDir(async (dir) => {
      const info = await tokenizeText(TEXT, dir, { tokenizer: kind, vocabSize: kind === 'bpe' ? 300 : undefined, source: 'test.txt' });
      const { meta, train, valid, tok } = await readDataset(dir);
      assert.deepEqual(meta, info);
      assert.equal(meta.tokenizer, kind);
      assert.equal(meta.vocab_size, { byte: 256, bpe: 300, gpt2: 50257 }[kind]);
      assert.equal(meta.source, 'test.txt');
      assert.equal(train.length, meta.train_tokens);
      assert.equal(valid.length, meta.valid_tokens);
      assert.equal(meta.max_id, Math.max(...train, ...valid));
      assert.ok(meta.max_id < meta.vocab_size);
      assert.ok(Math.abs(meta.train_unigram_entropy - unigramEntropy(train)) < 1e-9);
      const { train: trainText, valid: validText } = splitTrainValid(TEXT, 0.1);
      assert.equal(tok.decode(train), trainText);
      assert.equal(tok.decode(valid), validText);
      assert.ok(validText.startsWith('Line 180:'), validText.slice(0, 20));
    });
  });
}

test('tokenizeText: reuses a matching folder, rebuilds when text or options change', async () => {
  await withTempDir(async (dir) => {
    const first = await tokenizeText(TEXT, dir, { tokenizer: 'bpe', vocabSize: 300 });
    const mtime = async () => (await stat(path.join(dir, 'train_ids.npy'))).mtimeMs;
    const before = await mtime();
    assert.deepEqual(await tokenizeText(TEXT, dir, { tokenizer: 'bpe', vocabSize: 300 }), first);
    assert.equal(await mtime(), before);

    const bigger = await tokenizeText(TEXT, dir, { tokenizer: 'bpe', vocabSize: 320 });
    assert.equal(bigger.vocab_size, 320);
    assert.ok(bigger.train_tokens < first.train_tokens);
    const other = await tokenizeText(TEXT + 'one more line\n', dir, { tokenizer: 'bpe', vocabSize: 320 });
    assert.notEqual(other.fingerprint, bigger.fingerprint);
    assert.equal((await readDataset(dir)).meta.fingerprint, other.fingerprint);
  });
});

test('tokenizeText: option errors', async () => {
  await withTempDir(async (dir) => {
    await assert.rejects(tokenizeText(TEXT, dir, { tokenizer: 'byte', vocabSize: 512 }), /fixed vocab size of 256/);
    await assert.rejects(tokenizeText(TEXT, dir, { tokenizer: 'bpe', vocabSize: 200 }), /integer > 256/);
    await assert.rejects(tokenizeText(TEXT, dir, { validFraction: 1.5 }), /validFraction/);
  });
});
