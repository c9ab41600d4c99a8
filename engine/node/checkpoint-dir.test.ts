// Checkpoint stores: the CheckpointStore contract run against both the directory store and the
// memory store, then what only a directory has: files on disk, leftovers of crashed saves,
// a disk that fills up mid-save, and `--resume PATH` loading.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeSafetensors, encodeSafetensors, f32Tensor, toFloat32 } from '../checkpoint/safetensors';
import { checkpointName, memoryCheckpointStore, pruneCheckpoints, type CheckpointStore } from '../checkpoint/checkpoint-store';
import { directoryCheckpointStore, readCheckpointFile, type DirectoryStoreOptions } from './checkpoint-dir';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'ckpt-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A small real checkpoint: one tensor whose values identify the step. */
function weightsFor(step: number): Uint8Array {
  return encodeSafetensors({ w: f32Tensor([3], new Float32Array([step, step + 0.5, -step])) }, { step: String(step) });
}

const stores: [string, (t: { after(fn: () => void): void }) => CheckpointStore][] = [
  ['directory', (t) => directoryCheckpointStore(join(tempDir(t), 'nested', 'ckpts'))],
  ['memory', () => memoryCheckpointStore()],
];

for (const [kind, makeStore] of stores) {
  test(`${kind} store: save, list by step, load, remove, prune`, async (t) => {
    const store = makeStore(t);
    assert.deepEqual(await store.list(), []);
    // Saved out of order: list() sorts by step, not by time or name.
    for (const step of [300, 20, 100]) {
      const entry = await store.save(checkpointName(step), weightsFor(step), { step, lossHistory: [3.1, 2.9] });
      assert.deepEqual(entry, { name: checkpointName(step), step, bytes: weightsFor(step).byteLength });
    }
    assert.deepEqual(
      (await store.list()).map((e) => [e.name, e.step]),
      [
        ['ckpt-000020', 20],
        ['ckpt-000100', 100],
        ['ckpt-000300', 300],
      ],
    );

    const { weights, meta } = await store.load('ckpt-000100');
    assert.deepEqual(meta, { step: 100, lossHistory: [3.1, 2.9] });
    assert.deepEqual([...toFloat32(decodeSafetensors(weights).tensors.get('w')!)], [100, 100.5, -100]);
    weights.fill(0); // the caller owns what load() returns; the stored copy is untouched
    assert.deepEqual((await store.load('ckpt-000100')).weights, weightsFor(100));

    // meta.step wins over the name; without it the name's trailing number is the step.
    await store.save('final-7', weightsFor(7), { note: 'no step field' });
    await store.save('best', weightsFor(250), { step: 250 });
    assert.deepEqual(
      (await store.list()).map((e) => e.name),
      ['final-7', 'ckpt-000020', 'ckpt-000100', 'best', 'ckpt-000300'],
    );
    await assert.rejects(store.save('best-loss', weightsFor(1), {}), /cannot tell its step/);

    // Saving an existing name replaces it.
    await store.save('ckpt-000020', weightsFor(21), { step: 20, again: true });
    assert.deepEqual((await store.load('ckpt-000020')).meta, { step: 20, again: true });
    assert.deepEqual((await store.load('ckpt-000020')).weights, weightsFor(21));

    assert.deepEqual(await pruneCheckpoints(store, 2), ['final-7', 'ckpt-000020', 'ckpt-000100']);
    assert.deepEqual(
      (await store.list()).map((e) => e.name),
      ['best', 'ckpt-000300'],
    );
    assert.deepEqual(await pruneCheckpoints(store, Infinity), []);
    await assert.rejects(pruneCheckpoints(store, 0), /keepLast must be a positive integer/);

    await store.remove('best');
    await store.remove('best'); // already gone: not an error
    assert.deepEqual(
      (await store.list()).map((e) => e.name),
      ['ckpt-000300'],
    );
    await assert.rejects(store.load('ckpt-000100'), /ckpt-000100/);
  });

  test(`${kind} store: rejects unsafe names and unserialisable metadata`, async (t) => {
    const store = makeStore(t);
    for (const name of ['../escape-1', 'a/b-1', '.hidden-1', '', 'x.tmp-1', 'sp ace-1']) {
      await assert.rejects(store.save(name, weightsFor(1), { step: 1 }), /invalid checkpoint name/, name);
    }
    await assert.rejects(store.save('ckpt-000001', weightsFor(1), { step: 1, big: 1n }), /not JSON-serialisable/);
    await assert.rejects(store.save('ckpt-000001', weightsFor(1), undefined), /not JSON-serialisable/);
    assert.deepEqual(await store.list(), []);
  });
}

test('checkpointName pads to 6 digits and keeps longer steps whole', () => {
  assert.equal(checkpointName(0), 'ckpt-000000');
  assert.equal(checkpointName(100), 'ckpt-000100');
  assert.equal(checkpointName(12345678), 'ckpt-12345678');
  assert.throws(() => checkpointName(-1), RangeError);
  assert.throws(() => checkpointName(1.5), RangeError);
});

test('directory store: files on disk are a safetensors file and its JSON metadata', async (t) => {
  const dir = tempDir(t);
  await directoryCheckpointStore(dir).save('ckpt-000042', weightsFor(42), { step: 42, config: { lr: 3e-4 } });
  assert.deepEqual(readdirSync(dir).sort(), ['ckpt-000042.json', 'ckpt-000042.safetensors']);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'ckpt-000042.json'), 'utf8')), { step: 42, config: { lr: 3e-4 } });
  assert.deepEqual(new Uint8Array(readFileSync(join(dir, 'ckpt-000042.safetensors'))), weightsFor(42));
});

test('directory store: leftovers of interrupted saves are not listed, and a later save removes stale ones', async (t) => {
  const dir = tempDir(t);
  const store = directoryCheckpointStore(dir);
  await store.save('ckpt-000100', weightsFor(100), { step: 100 });
  // What a crash can leave: weights renamed but metadata not yet, and temp files mid-write.
  const leftovers = ['ckpt-000200.safetensors', 'ckpt-000300.safetensors.tmp-1a2b', 'ckpt-000300.json.tmp-1a2b'];
  for (const f of leftovers) writeFileSync(join(dir, f), weightsFor(200));
  writeFileSync(join(dir, 'notes.json'), '{"not": "a checkpoint"}'); // unrelated JSON, no weights beside it
  writeFileSync(join(dir, 'ckpt-000400.json'), '{"step": 400}'); // metadata whose weights were deleted by hand
  assert.deepEqual(
    (await store.list()).map((e) => e.name),
    ['ckpt-000100'],
  );
  await assert.rejects(store.load('ckpt-000200'), /no complete checkpoint ckpt-000200 .*ckpt-000200\.json is missing/);
  await assert.rejects(store.load('ckpt-000400'), /has metadata but no ckpt-000400\.safetensors/);

  // Fresh leftovers may belong to a save in progress elsewhere: kept. Stale ones: removed.
  await store.save('ckpt-000500', weightsFor(500), { step: 500 });
  for (const f of leftovers) assert.ok(readdirSync(dir).includes(f), `${f} is fresh, kept`);
  const hourAgo = new Date(Date.now() - 3600_000);
  for (const f of leftovers) utimesSync(join(dir, f), hourAgo, hourAgo);
  await store.save('ckpt-000600', weightsFor(600), { step: 600 });
  assert.deepEqual(readdirSync(dir).sort(), [
    'ckpt-000100.json',
    'ckpt-000100.safetensors',
    'ckpt-000400.json',
    'ckpt-000500.json',
    'ckpt-000500.safetensors',
    'ckpt-000600.json',
    'ckpt-000600.safetensors',
    'notes.json',
  ]);
});

/** writeAll hook: a disk that fills up after half of the bytes of file number `failOn` (0-based). */
function fullDiskAfter(failOn: number): DirectoryStoreOptions & { armed: boolean } {
  let writes = 0;
  const options = {
    armed: false,
    writeAll: async (handle: import('node:fs/promises').FileHandle, data: Uint8Array) => {
      if (options.armed && writes++ === failOn) {
        await handle.write(data, 0, data.length >> 1);
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      }
      await handle.writeFile(data);
    },
  };
  return options;
}

for (const [what, failOn] of [
  ['weights', 0],
  ['metadata', 1],
] as const) {
  test(`directory store: a full disk while writing the ${what} leaves earlier checkpoints intact`, async (t) => {
    const dir = tempDir(t);
    const disk = fullDiskAfter(failOn);
    const store = directoryCheckpointStore(dir, disk);
    await store.save('ckpt-000100', weightsFor(100), { step: 100 });
    disk.armed = true;
    await assert.rejects(
      store.save('ckpt-000200', weightsFor(200), { step: 200 }),
      /could not save checkpoint ckpt-000200 in .*: the disk is full \(ENOSPC: no space left on device, write\) \(temporary files removed/,
    );
    assert.deepEqual(readdirSync(dir).sort(), ['ckpt-000100.json', 'ckpt-000100.safetensors'], 'no temp files left');
    assert.deepEqual(
      (await store.list()).map((e) => e.name),
      ['ckpt-000100'],
    );

    // Re-saving the same name fails before the old files are touched, so the old one survives.
    const again = fullDiskAfter(failOn);
    again.armed = true;
    await assert.rejects(directoryCheckpointStore(dir, again).save('ckpt-000100', weightsFor(999), { step: 100, v: 2 }), /ENOSPC/);
    const kept = await store.load('ckpt-000100');
    assert.deepEqual(kept.meta, { step: 100 });
    assert.deepEqual(kept.weights, weightsFor(100));
    assert.deepEqual(readdirSync(dir).sort(), ['ckpt-000100.json', 'ckpt-000100.safetensors']);
  });
}

test('directory store: a real fs failure (directory path is a file) rejects with a clear message', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'taken'), 'x');
  await assert.rejects(
    directoryCheckpointStore(join(dir, 'taken')).save('ckpt-000001', weightsFor(1), { step: 1 }),
    /could not save checkpoint ckpt-000001 in .*taken: (EEXIST|ENOTDIR)/,
  );
});

test('readCheckpointFile accepts the .safetensors path, the .json path, the bare name or the directory', async (t) => {
  const dir = tempDir(t);
  const store = directoryCheckpointStore(dir);
  await store.save('ckpt-000010', weightsFor(10), { step: 10 });
  await store.save('ckpt-000020', weightsFor(20), { step: 20 });
  writeFileSync(join(dir, 'ckpt-000030.safetensors'), weightsFor(30)); // incomplete: ignored for the directory
  for (const path of ['ckpt-000010.safetensors', 'ckpt-000010.json', 'ckpt-000010']) {
    const got = await readCheckpointFile(join(dir, path));
    assert.equal(got.name, 'ckpt-000010', path);
    assert.deepEqual(got.meta, { step: 10 }, path);
    assert.deepEqual(got.weights, weightsFor(10), path);
    assert.equal(got.weightsPath, join(dir, 'ckpt-000010.safetensors'));
  }
  const newest = await readCheckpointFile(dir);
  assert.equal(newest.name, 'ckpt-000020');
  assert.deepEqual(newest.meta, { step: 20 });

  await assert.rejects(readCheckpointFile(join(dir, 'ckpt-000030.safetensors')), /ckpt-000030\.safetensors is incomplete: ckpt-000030\.json is missing/);
  await assert.rejects(readCheckpointFile(join(dir, 'nope.json')), /no checkpoint at .*nope\.json \(looked for .*nope\.safetensors and .*nope\.json\)/);
  await assert.rejects(readCheckpointFile(join(dir, 'nothing-here')), /no checkpoint at/);
  await assert.rejects(readCheckpointFile(tempDir(t)), /no complete checkpoint in directory/);
});
