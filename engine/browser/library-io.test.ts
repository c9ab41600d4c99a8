// A browser run reading a library dataset: browserIO's openDataset with source 'library' goes
// through the app's /data route (app/data/[...path]/route.ts, called here as Next would) with
// Range requests, and gets the bytes of the folder the Node host reads; ids that are not dataset
// ids, and datasets that are not ready, are refused.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { GET } from '../../app/data/[...path]/route';
import { decodeNpy, NpyTokenReader } from '../data/npy';
import { libraryDir } from '../node/library-dir';
import { tokenizeTextFile } from '../node/tokenize-stream';
import { libraryFolder, parseLibraryPath } from './corpus-files';
import { browserIO } from './io';

const dataDir = mkdtempSync(join(tmpdir(), 'library-io-'));
const ID = 'ds-00112233aabb';
const previous = process.env.DATA_DIR;

/** fetch for the worker: /data/... answered by the app's route handler. */
const appFetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
  const request = new Request(input, init);
  const path = new URL(request.url).pathname.split('/').slice(2).map(decodeURIComponent);
  return GET(request, { params: Promise.resolve({ path }) });
}) as typeof fetch;

before(async () => {
  process.env.DATA_DIR = dataDir;
  const text = join(dataDir, 'in.txt');
  writeFileSync(text, 'library text for the browser\n'.repeat(200));
  await tokenizeTextFile(text, libraryDir(dataDir, ID), { tokenizer: 'bpe', vocabSize: 270, source: 'in.txt', extraMeta: { name: 'lib' } });
  mkdirSync(libraryDir(dataDir, 'ds-ffffffffffff'), { recursive: true });
  writeFileSync(join(libraryDir(dataDir, 'ds-ffffffffffff'), 'job.json'), '{"state":"tokenizing"}');
});

after(() => {
  process.env.DATA_DIR = previous;
  if (previous === undefined) delete process.env.DATA_DIR;
  rmSync(dataDir, { recursive: true, force: true });
});

test('library ids map to the same folders in the browser as on the server; anything else is refused', () => {
  assert.equal(join(dataDir, libraryFolder(ID)), libraryDir(dataDir, ID));
  assert.equal(join(dataDir, libraryFolder('brown-bpe1024')), libraryDir(dataDir, 'brown-bpe1024'));
  assert.deepEqual(parseLibraryPath(['datasets', ID, 'train_ids.npy']), { folder: `datasets/${ID}`, file: 'train_ids.npy' });
  for (const bad of [['datasets', '..', 'meta.json'], ['datasets', ID, 'job.json'], ['datasets', 'ds-XYZ', 'meta.json'], ['datasets', ID], ['other', ID, 'meta.json']]) {
    assert.equal(parseLibraryPath(bad), undefined, bad.join('/'));
  }
  assert.throws(() => libraryFolder('../etc'), /not a dataset id/);
});

test('openDataset(source library) reads the ids, meta.json and tokenizer.json over Range requests', async () => {
  const io = browserIO({ origin: 'http://studio.test', fetch: appFetch });
  const files = await io.openDataset({ source: 'library', dataset: ID, tokenizer: 'byte', vocabSize: 1024, trainPath: '', validPath: '' });
  const dir = libraryDir(dataDir, ID);
  const onDisk = readFileSync(join(dir, 'train_ids.npy'));
  assert.deepEqual(Buffer.from(await files.train.read(0, files.train.size)), onDisk);
  const reader = await NpyTokenReader.open(files.valid);
  const local = decodeNpy(readFileSync(join(dir, 'valid_ids.npy'))).data as Uint16Array;
  assert.deepEqual(Array.from(await reader.read(3, 10)), Array.from(local.subarray(3, 13)));
  assert.equal(files.meta?.vocab_size, 270);
  assert.equal((files.tokenizer as { kind: string }).kind, 'bpe');
});

test('a dataset still tokenizing, an unknown one and a bad id fail with the dataset named', async () => {
  const io = browserIO({ origin: 'http://studio.test', fetch: appFetch });
  const open = (dataset: string) => io.openDataset({ source: 'library', dataset, tokenizer: 'byte', vocabSize: 1024, trainPath: '', validPath: '' });
  await assert.rejects(open('ds-ffffffffffff'), /dataset: ds-ffffffffffff is not a ready dataset of this server's library/);
  await assert.rejects(open('ds-0000000000aa'), /dataset: ds-0000000000aa is not a ready dataset/);
  await assert.rejects(open('../../etc'), /not a dataset id/);
});
