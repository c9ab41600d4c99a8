import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeNpy } from '../engine/data/npy';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Runs `npm run tokenize -- ...args` (without npm's own startup) and collects the outcome. */
function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'cli/tokenize.ts', ...args], { cwd: ROOT }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

test('cli tokenize: a text file becomes a dataset folder, with a summary', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cli-tokenize-'));
  try {
    const file = path.join(dir, 'input.txt');
    await writeFile(file, Array.from({ length: 100 }, (_, i) => `sentence number ${i} is here.`).join('\n') + '\n');
    const out = path.join(dir, 'data');
    const r = await runCli([file, '--out', out, '--tokenizer', 'bpe', '--vocab-size', '300', '--valid-fraction', '0.2']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /entropy\s+\d+\.\d+ nats/);
    assert.match(r.stdout, /vocab 300/);
    const meta = JSON.parse(await readFile(path.join(out, 'meta.json'), 'utf8'));
    assert.equal(meta.valid_fraction, 0.2);
    assert.equal(meta.source, file);
    const train = decodeNpy(await readFile(path.join(out, 'train_ids.npy')));
    assert.equal(train.data.length, meta.train_tokens);
    assert.match(r.stdout, new RegExp(`train ${meta.train_tokens.toLocaleString('en-US')}`));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('cli tokenize: errors exit non-zero with a message', async () => {
  const missing = await runCli(['/nonexistent/input.txt', '--out', path.join(os.tmpdir(), 'never-written')]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /cannot read \/nonexistent\/input\.txt: ENOENT/);

  const badKind = await runCli(['x.txt', '--out', 'o', '--tokenizer', 'wordpiece']);
  assert.equal(badKind.code, 2);
  assert.match(badKind.stderr, /--tokenizer must be one of byte, bpe, gpt2/);
  assert.match(badKind.stderr, /Usage: npm run tokenize/);

  const noOut = await runCli(['x.txt']);
  assert.equal(noOut.code, 2);
  assert.match(noOut.stderr, /--out DIR is required/);

  const both = await runCli(['x.txt', '--brown', '--out', 'o']);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /either a text file or --brown/);
});

test('cli tokenize: --jsonl-field and --parquet-column write the library layout from one field or column', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cli-tokenize-'));
  try {
    const jsonl = path.join(dir, 'records.jsonl');
    await new Promise<void>((resolve, reject) =>
      execFile(
        '/usr/bin/python3',
        [
          '-c',
          `import json, sys
with open(sys.argv[1], 'w') as f:
    for i in range(50): f.write(json.dumps({'id': i, 'text': 'record %d says hello' % i}) + '\\n')`,
          jsonl,
        ],
        (err) => (err ? reject(err) : resolve()),
      ),
    );
    const out = path.join(dir, 'from-jsonl');
    const r = await runCli([jsonl, '--jsonl-field', 'text', '--out', out, '--valid-fraction', '0']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /50 documents from field "text"/);
    const expected = Array.from({ length: 50 }, (_, i) => `record ${i} says hello\n`).join('');
    const train = decodeNpy(await readFile(path.join(out, 'train_ids.npy')));
    assert.equal(Buffer.from(Array.from(train.data as Uint16Array)).toString(), expected);
    const meta = JSON.parse(await readFile(path.join(out, 'meta.json'), 'utf8'));
    assert.equal(meta.format, 'jsonl');
    assert.deepEqual(Object.keys(meta).filter((k) => ['vocab_size', 'train_tokens', 'valid_tokens', 'train_unigram_entropy'].includes(k)).length, 4);

    const parquet = fileURLToPath(new URL('../engine/data/fixtures/parquet/delta_byte_array.parquet', import.meta.url));
    const pout = path.join(dir, 'from-parquet');
    const p = await runCli([parquet, '--parquet-column', 'c_email_address', '--out', pout]);
    assert.equal(p.code, 0, p.stderr);
    assert.match(p.stdout, /969 documents from column "c_email_address" \(31 nulls skipped\)/);
    const missing = await runCli([parquet, '--parquet-column', 'body', '--out', path.join(dir, 'never')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no column "body" \(columns: c_customer_id/);
    const both = await runCli([jsonl, '--jsonl-field', 'text', '--parquet-column', 'x', '--out', pout]);
    assert.equal(both.code, 2);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
