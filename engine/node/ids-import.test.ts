// Ready ids written by numpy: one array split by the validation fraction, a train+valid pair in
// one file, and the refusals (floats, ids outside the vocabulary, a truncated array).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { decodeNpy } from '../data/npy';
import { importIdsFile } from './ids-import';
import { DatasetInputError } from './tokenize-stream';

const root = mkdtempSync(join(tmpdir(), 'ids-import-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const ids = (dir: string, split: string) => Array.from(decodeNpy(readFileSync(join(dir, `${split}_ids.npy`))).data as Uint16Array | Uint32Array);

/** Runs numpy code with `path` bound to a fresh file name; returns the path. */
function numpy(code: string): string {
  const path = join(root, `np-${n++}.npy`);
  execFileSync('/usr/bin/python3', ['-c', `import numpy as np, sys\npath = sys.argv[1]\n${code}`, path]);
  return path;
}

test('one int64 array: the last 10% become valid, rewritten as uint16 with tokenizer.json', async () => {
  const file = numpy(`np.save(path, (np.arange(1000, dtype=np.int64) * 7) % 256)`);
  const dir = join(root, 'one');
  const info = await importIdsFile(file, dir, { tokenizer: 'byte', source: 'ids' });
  const all = Array.from({ length: 1000 }, (_, i) => (i * 7) % 256);
  assert.deepEqual(ids(dir, 'train'), all.slice(0, 900));
  assert.deepEqual(ids(dir, 'valid'), all.slice(900));
  assert.equal(info.dtype, 'uint16');
  assert.equal(info.max_id, 255);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')), { kind: 'byte', vocabSize: 256 });
});

test('a pair in one file (cat train_ids.npy valid_ids.npy): each array is its split', async () => {
  const file = numpy(`import io
with open(path, 'wb') as f:
    np.save(f, np.array([1, 2, 3, 50000], dtype=np.uint32)); np.save(f, np.array([4, 5], dtype=np.uint16))`);
  const dir = join(root, 'pair');
  const info = await importIdsFile(file, dir, { tokenizer: 'gpt2', source: 'pair' });
  assert.deepEqual(ids(dir, 'train'), [1, 2, 3, 50000]);
  assert.deepEqual(ids(dir, 'valid'), [4, 5]);
  assert.equal(info.vocab_size, 50257);
  assert.equal(info.valid_tokens, 2);
});

test('refused: floats, ids at or above the vocabulary (uint16 is not enough), negatives, a truncated file', async () => {
  const refuse = (file: string, opts: Parameters<typeof importIdsFile>[2], pattern: RegExp) =>
    assert.rejects(importIdsFile(file, join(root, `bad-${n++}`), opts), (e) => e instanceof DatasetInputError && pattern.test(e.message));
  await refuse(new URL('../data/fixtures/f4.npy', import.meta.url).pathname, { tokenizer: 'byte', source: 'f' }, /token ids must be integers, got dtype '<f4'/);
  await refuse(
    numpy(`np.save(path, np.array([1, 70000, 3], dtype=np.int32))`),
    { tokenizer: 'bpe', vocabSize: 1024, source: 'big' },
    /id 70000 at index 1 is outside the vocabulary \(0\.\.1023\)/,
  );
  await refuse(numpy(`np.save(path, np.array([1, -2], dtype=np.int16))`), { tokenizer: 'byte', source: 'neg' }, /id -2 at index 1/);
  const truncated = join(root, 'truncated.npy');
  copyFileSync(numpy(`np.save(path, np.arange(100, dtype=np.uint16))`), truncated);
  execFileSync('truncate', ['-s', '150', truncated]);
  await refuse(truncated, { tokenizer: 'byte', source: 't' }, /truncated|only/);
  await assert.rejects(importIdsFile(truncated, join(root, 'bpe'), { tokenizer: 'bpe', source: 'b' }), /need vocab_size/);
  assert.ok(
    readdirSync(root)
      .filter((d) => d.startsWith('bad-'))
      .every((d) => !readdirSync(join(root, d)).includes('meta.json')),
  );
});
