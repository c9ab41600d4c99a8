// nodeIO: dataset paths resolve against the pipeline's folder and, for a server, stay inside its
// data folders: `..`, absolute paths elsewhere and symbolic links out are refused.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { encodeNpy } from '../data/npy';
import { confinedPath, nodeIO } from './io';

const tmp = mkdtempSync(join(tmpdir(), 'node-io-'));
const root = join(tmp, 'data');
const outside = join(tmp, 'secret');
mkdirSync(join(root, 'set'), { recursive: true });
mkdirSync(outside);
writeFileSync(join(root, 'set', 'train_ids.npy'), encodeNpy(new Uint16Array([1, 2, 3])));
writeFileSync(join(root, 'set', 'valid_ids.npy'), encodeNpy(new Uint16Array([4, 5, 6])));
writeFileSync(join(outside, 'ids.npy'), encodeNpy(new Uint16Array([9])));
symlinkSync(join(outside, 'ids.npy'), join(root, 'set', 'escape.npy'));

test('paths inside the data folders are allowed, relative or absolute', async () => {
  assert.equal(await confinedPath('set/train_ids.npy', root, [root], 'train_path'), join(root, 'set', 'train_ids.npy'));
  assert.equal(await confinedPath(join(root, 'set', 'valid_ids.npy'), '/', [root], 'valid_path'), join(root, 'set', 'valid_ids.npy'));
  assert.equal(await confinedPath('anything/at/all.npy', '/base', undefined, 'x'), '/base/anything/at/all.npy'); // unconfined (CLI)
});

test('.., absolute paths elsewhere and symlink escapes are refused, naming the field', async () => {
  await assert.rejects(confinedPath('../secret/ids.npy', root, [root], 'train_path'), /^Error: train_path: \.\.\/secret\/ids\.npy is outside/);
  await assert.rejects(confinedPath(join(outside, 'ids.npy'), root, [root], 'valid_path'), /valid_path: .* is outside/);
  await assert.rejects(confinedPath('set/escape.npy', root, [root], 'train_path'), /train_path: set\/escape\.npy is outside/);
  await assert.rejects(confinedPath('/etc/passwd', root, [root], 'train_path'), /outside/);
  await assert.rejects(
    confinedPath('set/missing.npy', root, [root], 'train_path'),
    /train_path: cannot open set\/missing\.npy: no such file in set\/ under DATA_DIR/,
  );
});

test('openDataset applies the confinement', async () => {
  const io = nodeIO({ outDir: join(tmp, 'out'), baseDir: root, dataRoots: [root] });
  const files = await io.openDataset({ source: 'files', tokenizer: 'byte', vocabSize: 256, trainPath: 'set/train_ids.npy', validPath: 'set/valid_ids.npy' });
  assert.equal(files.train.size > 0, true);
  await assert.rejects(
    io.openDataset({ source: 'files', tokenizer: 'byte', vocabSize: 256, trainPath: 'set/escape.npy', validPath: 'set/valid_ids.npy' }),
    /outside/,
  );
  await io.close();
});

test('outside the data folders, a file that exists and one that does not get the same refusal, without the absolute folder', async () => {
  const refusal = (path: string) =>
    confinedPath(path, root, [root], 'train_path').then(
      () => 'allowed',
      (e: Error) => e.message.replace(path, '<path>'),
    );
  const messages = await Promise.all(
    [join(outside, 'ids.npy'), join(outside, 'missing.npy'), '../secret/ids.npy', '../secret/missing.npy', '/etc/passwd', '/no/such/file.npy'].map(refusal),
  );
  assert.equal(new Set(messages).size, 1, messages.join('\n'));
  assert.equal(messages[0], 'train_path: <path> is outside the data folders this server reads (…/data)');
  // A symbolic link out of the folder is refused alike, whether its target exists or not.
  symlinkSync(join(outside, 'missing.npy'), join(root, 'set', 'dangling.npy'));
  assert.equal(await refusal('set/escape.npy'), messages[0]);
});
