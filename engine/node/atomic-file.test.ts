// writeFileAtomic: the new contents replace the old in one step, and a failed write leaves the old
// file and no temporary file behind.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeFileAtomic } from './atomic-file';

test('replaces a file whole, with or without fsync, and leaves nothing else', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'atomic-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'status.json');
  writeFileSync(path, '{"old": true}\n');
  await writeFileAtomic(path, '{"new": 1}\n');
  assert.equal(readFileSync(path, 'utf8'), '{"new": 1}\n');
  await writeFileAtomic(path, new Uint8Array([123, 125]), { durable: true });
  assert.equal(readFileSync(path, 'utf8'), '{}');
  assert.deepEqual(readdirSync(dir), ['status.json']);
});

test('a write that fails keeps the old file and removes the temporary one', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'atomic-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'taken');
  // The target is a non-empty directory: the rename fails after the temp file was written.
  writeFileSync(join(dir, 'keep.json'), 'x');
  mkdirSync(join(path, 'inside'), { recursive: true });
  await assert.rejects(writeFileAtomic(path, 'new'), /EISDIR|ENOTEMPTY|EEXIST/);
  assert.deepEqual(readdirSync(dir).sort(), ['keep.json', 'taken']);
  await assert.rejects(writeFileAtomic(join(dir, 'missing', 'f.json'), 'x'), /ENOENT/);
});
