// tokenizeTextFile against whole-text references: the same ids as encoding the text at once
// (byte and BPE, across many chunks), numpy reads what it writes, and bad input (NUL bytes,
// invalid UTF-8, an empty file, a disk that fills up) ends as the module's header says.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { decodeNpy } from '../data/npy';
import { trainBpe } from '../data/tokenize/bpe';
import { ByteTokenizer } from '../data/tokenize/byte';
import { unigramEntropy } from '../data/tokenize/stats';
import { tokenizerFromJSON } from '../data/tokenize/tokenizer';
import { DatasetInputError, tokenizeTextFile } from './tokenize-stream';

const root = mkdtempSync(join(tmpdir(), 'tokenize-stream-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const file = (content: string | Uint8Array) => {
  const path = join(root, `in-${n++}.txt`);
  writeFileSync(path, content);
  return path;
};
const out = () => join(root, `out-${n++}`);
const ids = (dir: string, split: 'train' | 'valid') => Array.from(decodeNpy(readFileSync(join(dir, `${split}_ids.npy`))).data as Uint16Array);

/** Deterministic English-like lines: words from a small list, so BPE has pairs to merge. */
function words(lines: number, seed = 1): string {
  const vocab = ['the', 'cat', 'sat', 'on', 'a', 'mat', 'and', 'dog', 'ran', 'far', 'away,', 'Über', 'naïve', '42', "it's"];
  let x = seed;
  const next = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const out: string[] = [];
  for (let i = 0; i < lines; i++) out.push(Array.from({ length: 3 + Math.floor(next() * 9) }, () => vocab[Math.floor(next() * vocab.length)]).join(' ') + '.');
  return out.join('\n') + '\n';
}

test('byte: the ids are the UTF-8 bytes, split after a line near 90%, with the unigram entropy of train', async () => {
  const text = words(2000);
  const dir = out();
  const info = await tokenizeTextFile(file(text), dir, { tokenizer: 'byte', validFraction: 0.1, source: 'words' });
  const bytes = Array.from(new TextEncoder().encode(text));
  const train = ids(dir, 'train');
  const valid = ids(dir, 'valid');
  assert.deepEqual([...train, ...valid], bytes);
  assert.equal(train[train.length - 1], 0x0a, 'train ends at a line end');
  assert.ok(Math.abs(valid.length / bytes.length - 0.1) < 0.01);
  assert.equal(info.train_tokens, train.length);
  assert.equal(info.vocab_size, 256);
  assert.ok(Math.abs(info.train_unigram_entropy - unigramEntropy(train)) < 1e-9);
  assert.equal(info.bytes_per_token, 1);
  assert.ok(readdirSync(dir).every((f) => !f.endsWith('.part')));
});

test('bpe across many chunks and pieces: same merges and ids as the whole text at once', async () => {
  const text = words(90_000, 7); // ~2.7 MB: 40 chunks, three pieces
  assert.ok(text.length > 2.5e6);
  const dir = out();
  const progress: number[] = [];
  const info = await tokenizeTextFile(file(text), dir, {
    tokenizer: 'bpe',
    vocabSize: 300,
    validFraction: 0.05,
    source: 'words',
    onProgress: (p) => progress.push(p.bytes_done / p.bytes_total),
  });
  const train = ids(dir, 'train');
  const valid = ids(dir, 'valid');
  const tokenizer = tokenizerFromJSON(JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')));
  const trainText = tokenizer.decode(train);
  assert.ok(text.startsWith(trainText) && trainText.endsWith('\n'));
  assert.equal(info.train_tokens, train.length);
  const reference = trainBpe(trainText, 300);
  assert.deepEqual((tokenizer as typeof reference).merges, reference.merges);
  assert.deepEqual(train, Array.from(reference.encode(trainText)));
  assert.deepEqual(valid, Array.from(reference.encode(text.slice(trainText.length))));
  assert.equal(tokenizer.decode([...train, ...valid]), text);
  assert.ok(progress.length >= 5 && progress.every((f, i) => f >= (progress[i - 1] ?? 0) && f <= 1));
});

test('numpy loads the files, with the dtype and length meta.json says', async () => {
  const dir = out();
  const info = await tokenizeTextFile(file(words(300)), dir, { tokenizer: 'bpe', vocabSize: 280, source: 'words' });
  const report = execFileSync(
    '/usr/bin/python3',
    [
      '-c',
      `import numpy as np, sys
t = np.load(sys.argv[1]); v = np.load(sys.argv[2])
print(t.dtype, t.shape[0], v.shape[0], int(max(t.max(), v.max())))`,
      join(dir, 'train_ids.npy'),
      join(dir, 'valid_ids.npy'),
    ],
    { encoding: 'utf8' },
  );
  assert.equal(report.trim(), `uint16 ${info.train_tokens} ${info.valid_tokens} ${info.max_id}`);
});

test('invalid UTF-8 is replaced with U+FFFD and counted; U+FFFD already in the text is not', async () => {
  const bytes = new Uint8Array([...new TextEncoder().encode('ok \uFFFD line\n'), 0xff, 0xfe, 0x41, 0x0a, 0xc3]);
  const dir = out();
  const info = await tokenizeTextFile(file(bytes), dir, { tokenizer: 'byte', validFraction: 0, source: 'bad' });
  assert.equal(info.invalid_utf8_replaced, 3);
  assert.equal(new ByteTokenizer().decode(ids(dir, 'train')), 'ok \uFFFD line\n\uFFFD\uFFFDA\n\uFFFD');
});

test('a NUL byte (binary data) and an empty file are refused, leaving no meta.json', async () => {
  const dir = out();
  await assert.rejects(
    tokenizeTextFile(file(new Uint8Array([0x68, 0x69, 0x00, 0x01])), dir, { tokenizer: 'byte', source: 'bin' }),
    (e) => e instanceof DatasetInputError && /not a text file: byte 2 is NUL/.test(e.message),
  );
  assert.deepEqual(readdirSync(dir), []);
  await assert.rejects(tokenizeTextFile(file(''), out(), { tokenizer: 'byte', source: 'empty' }), /the file is empty/);
});

test('a disk that fills up mid-way: the error says ENOSPC and no partial file or meta.json is left', async () => {
  const dir = out();
  let written = 0;
  const openOutput = async () => ({
    async write(bytes: Uint8Array) {
      written += bytes.length;
      if (written > 100_000) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    },
    async close() {},
  });
  await assert.rejects(
    tokenizeTextFile(file(words(20_000)), dir, { tokenizer: 'byte', source: 'big', openOutput }),
    (e) => (e as NodeJS.ErrnoException).code === 'ENOSPC',
  );
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.endsWith('.npy') || f.endsWith('.part') || f === 'meta.json'),
    [],
  );
});
