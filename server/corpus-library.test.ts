// A browser run reading a library dataset: browserIO's openDataset with source 'library' goes
// through the server's /data route (server/corpus-route.ts, on a real HTTP server) with Range
// requests, and gets the bytes of the folder the Node host reads; ids that are not dataset
// ids, and datasets that are not ready, are refused.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createServer, type Server } from 'node:http';
import { decodeNpy, NpyTokenReader } from '../engine/data/npy';
import { libraryDir } from '../engine/node/library-dir';
import { tokenizeTextFile } from '../engine/node/tokenize-stream';
import { libraryFolder, parseLibraryPath } from '../engine/browser/corpus-files';
import { browserIO } from '../engine/browser/io';
import { corpusHandler } from './corpus-route';

const dataDir = mkdtempSync(join(tmpdir(), 'library-io-'));
const ID = 'ds-00112233aabb';
const previous = process.env.DATA_DIR;

/** The /data route on a real HTTP server; the worker's fetch goes to it. */
let server: Server;
let origin: string;
const appFetch = ((input: RequestInfo | URL, init?: RequestInit) =>
  fetch(new URL(new Request(input, init).url).pathname.replace(/^/, origin), init)) as typeof fetch;

before(async () => {
  process.env.DATA_DIR = dataDir;
  const handle = corpusHandler(dataDir);
  server = createServer((req, res) => void (handle(req, res) || res.writeHead(404).end()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const text = join(dataDir, 'in.txt');
  writeFileSync(text, 'library text for the browser\n'.repeat(200));
  await tokenizeTextFile(text, libraryDir(dataDir, ID), { tokenizer: 'bpe', vocabSize: 270, source: 'in.txt', extraMeta: { name: 'lib' } });
  mkdirSync(libraryDir(dataDir, 'ds-ffffffffffff'), { recursive: true });
  writeFileSync(join(libraryDir(dataDir, 'ds-ffffffffffff'), 'job.json'), '{"state":"tokenizing"}');
});

after(async () => {
  await new Promise((resolve) => server.close(resolve));
  process.env.DATA_DIR = previous;
  if (previous === undefined) delete process.env.DATA_DIR;
  rmSync(dataDir, { recursive: true, force: true });
});

test('library ids map to the same folders in the browser as on the server; anything else is refused', () => {
  assert.equal(join(dataDir, libraryFolder(ID)), libraryDir(dataDir, ID));
  assert.equal(join(dataDir, libraryFolder('brown-bpe1024')), libraryDir(dataDir, 'brown-bpe1024'));
  assert.deepEqual(parseLibraryPath(['datasets', ID, 'train_ids.npy']), { folder: `datasets/${ID}`, file: 'train_ids.npy' });
  for (const bad of [
    ['datasets', '..', 'meta.json'],
    ['datasets', ID, 'job.json'],
    ['datasets', 'ds-XYZ', 'meta.json'],
    ['datasets', ID],
    ['other', ID, 'meta.json'],
  ]) {
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
