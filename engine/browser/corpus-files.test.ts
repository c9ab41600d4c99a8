// The bundled corpus's URL names and Range parsing (engine/browser/corpus-files.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { corpusDir } from '../node/io';
import { corpusFolder, parseByteRange, parseCorpusPath } from './corpus-files';

test('corpusFolder names the same folder as the Node host prepares', () => {
  for (const request of [
    { tokenizer: 'byte', vocabSize: 1024 },
    { tokenizer: 'gpt2', vocabSize: 1024 },
    { tokenizer: 'bpe', vocabSize: 4096 },
  ] as const) {
    assert.equal(join('/d', corpusFolder(request)), corpusDir('/d', request));
  }
});

test('parseCorpusPath accepts the four files of brown-* folders only', () => {
  assert.deepEqual(parseCorpusPath(['brown-byte', 'train_ids.npy']), { folder: 'brown-byte', file: 'train_ids.npy', tokenizer: 'byte' });
  assert.deepEqual(parseCorpusPath(['brown-bpe1024', 'meta.json']), { folder: 'brown-bpe1024', file: 'meta.json', tokenizer: 'bpe', vocabSize: 1024 });
  assert.deepEqual(parseCorpusPath(['brown-gpt2', 'tokenizer.json'])?.tokenizer, 'gpt2');
  for (const bad of [
    ['brown-byte'],
    ['brown-byte', 'train_ids.npy', 'x'],
    ['..', 'package.json'],
    ['brown-byte', '..'],
    ['brown-byte', '../meta.json'],
    ['brown-byte/..', 'meta.json'],
    ['brown-bpe', 'meta.json'],
    ['brown-bpe0256', 'meta.json'],
    ['brown-bpe256', 'meta.json'],
    ['brown-bpe65536', 'meta.json'],
    ['brown-byte', 'TRAIN_IDS.npy'],
    ['brown-byte', 'train_ids.npy.tmp-1'],
    ['other', 'meta.json'],
  ]) {
    assert.equal(parseCorpusPath(bad), undefined, bad.join('/'));
  }
});

test('parseByteRange: single ranges, suffixes, open ends; unsatisfiable and ignored headers', () => {
  assert.deepEqual(parseByteRange('bytes=0-99', 1000), { start: 0, end: 99 });
  assert.deepEqual(parseByteRange('bytes=990-2000', 1000), { start: 990, end: 999 }); // clamped to the end
  assert.deepEqual(parseByteRange('bytes=500-', 1000), { start: 500, end: 999 });
  assert.deepEqual(parseByteRange('bytes=-100', 1000), { start: 900, end: 999 });
  assert.deepEqual(parseByteRange('bytes=-5000', 1000), { start: 0, end: 999 });
  assert.equal(parseByteRange('bytes=1000-', 1000), 'unsatisfiable');
  assert.equal(parseByteRange('bytes=0-0', 0), 'unsatisfiable');
  assert.equal(parseByteRange('bytes=-0', 1000), 'unsatisfiable');
  // Whole file: no header, several ranges, other units, reversed or malformed ranges.
  for (const header of [null, undefined, '', 'bytes=0-1,5-6', 'items=0-1', 'bytes=5-1', 'bytes=-', 'bytes=a-b']) {
    assert.equal(parseByteRange(header, 1000), undefined, String(header));
  }
});
