// zip.ts against an independent reader: Python's zipfile opens the archives, checks every CRC
// (testzip) and returns the same bytes, names, modes and dates.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from './test-support';
import { zipFiles, type ZipEntry } from './zip';

const PYTHON = '/usr/bin/python3';

/** What Python's zipfile reads from the archive: per entry its method, mode and sha256; plus testzip(). */
const READ_PY = `
import hashlib, json, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    entries = [{"name": i.filename, "method": i.compress_type, "size": i.file_size, "mode": i.external_attr >> 16,
                "sha256": hashlib.sha256(z.read(i.filename)).hexdigest(), "year": i.date_time[0]} for i in z.infolist()]
    print(json.dumps({"bad": z.testzip(), "entries": entries}))
`;

function readWithPython(path: string): {
  bad: string | null;
  entries: { name: string; method: number; size: number; mode: number; sha256: string; year: number }[];
} {
  return JSON.parse(execFileSync(PYTHON, ['-c', READ_PY, path], { encoding: 'utf8' }));
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

test('Python zipfile reads deflated and stored entries back byte for byte', async () => {
  const dir = await tempDir('zip-test-');
  try {
    const entries: ZipEntry[] = [
      { name: 'export/train.py', data: Buffer.from('print("hello")\n'.repeat(200)) }, // compresses
      { name: 'export/empty.txt', data: new Uint8Array(0) },
      { name: 'export/data/noise.bin', data: randomBytes(70_000) }, // does not, and still reads back
      { name: 'export/données/é.json', data: Buffer.from('{"text": "naïve"}'.repeat(10)) },
      { name: 'export/data/ids.npy', data: new Uint8Array(300_000).map((_, i) => (i * 7) % 97) },
    ];
    for (const compress of [true, false]) {
      const zip = await zipFiles(entries, { compress });
      const path = join(dir.path, `${compress}.zip`);
      writeFileSync(path, zip);
      const read = readWithPython(path);
      assert.equal(read.bad, null, 'every CRC checks out');
      assert.deepEqual(
        read.entries.map((e) => e.name),
        entries.map((e) => e.name),
      );
      for (const [i, e] of read.entries.entries()) {
        assert.equal(e.sha256, sha256(entries[i].data), e.name);
        assert.equal(e.size, entries[i].data.length);
        assert.equal(e.mode, 0o100644);
        assert.ok(e.year >= 2024);
      }
      const methods = read.entries.map((e) => e.method);
      assert.deepEqual(methods, compress ? [8, 8, 8, 8, 8] : [0, 0, 0, 0, 0]);
      if (compress) assert.ok(zip.length < 100_000, `deflated: ${zip.length} bytes`);
    }
  } finally {
    await dir.remove();
  }
});

test('names that would leave the folder, and duplicates, are refused', async () => {
  const data = new Uint8Array(1);
  for (const name of ['../x', '/etc/passwd', 'a/../../b', 'a//b', 'a\\b', '']) {
    await assert.rejects(zipFiles([{ name, data }]), /bad entry name/, name);
  }
  await assert.rejects(
    zipFiles([
      { name: 'a', data },
      { name: 'a', data },
    ]),
    /twice/,
  );
});

test('more entries than ZIP holds without ZIP64 are refused before anything is compressed', async () => {
  const entries = Array.from({ length: 65_536 }, (_, i) => ({ name: `f${i}`, data: new Uint8Array(0) }));
  await assert.rejects(zipFiles(entries), /65536 entries; at most 65535/);
});
