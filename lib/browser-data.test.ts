// Picked files for a browser run's `source: files` dataset: the block's file names, or one text file.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PipelineNode } from './document';
import { datasetNeedingFiles, pickedDataset } from './browser-data';
import { SEED_DOCUMENT } from './templates';

const node: PipelineNode = {
  id: 'dataset',
  type: 'dataset',
  version: 1,
  params: { source: 'files', train_path: 'mytext/train_ids.npy', valid_path: 'mytext/valid_ids.npy' },
  position: { x: 0, y: 0 },
};
const file = (name: string, text = 'x') => new File([text], name);

test('only a files dataset needs picking', () => {
  assert.equal(datasetNeedingFiles(SEED_DOCUMENT), undefined);
  const doc = { ...SEED_DOCUMENT, nodes: SEED_DOCUMENT.nodes.map((n) => (n.id === 'dataset' ? node : n)) };
  assert.equal(datasetNeedingFiles(doc)?.id, 'dataset');
});

test('the .npy pair the block names, with tokenizer.json when picked', async () => {
  const picked = await pickedDataset([file('valid_ids.npy'), file('train_ids.npy'), file('tokenizer.json', '{}')], node);
  assert.ok(picked.ok);
  assert.equal(picked.data.kind, 'files');
  if (picked.data.kind === 'files') {
    assert.equal((picked.data.train as File).name, 'train_ids.npy');
    assert.equal((picked.data.valid as File).name, 'valid_ids.npy');
    assert.equal((picked.data.tokenizer as File).name, 'tokenizer.json');
  }
});

test("one text file is tokenized with the block's tokenizer", async () => {
  const picked = await pickedDataset([file('book.txt', 'hello world')], { ...node, params: { ...node.params, tokenizer: 'byte' } });
  assert.ok(picked.ok);
  assert.deepEqual(picked.data, { kind: 'text', text: 'hello world', tokenizer: 'byte' });
});

test('half a pair, an empty text or a wrong mix says what is missing, naming the block', async () => {
  assert.deepEqual(await pickedDataset([file('train_ids.npy')], node), {
    ok: false,
    message: 'dataset: pick valid_ids.npy too (the block reads train_ids.npy and valid_ids.npy)',
  });
  assert.deepEqual(await pickedDataset([file('book.txt', '')], node), { ok: false, message: 'dataset: book.txt is empty' });
  const mixed = await pickedDataset([file('a.npy'), file('b.txt')], node);
  assert.equal(mixed.ok, false);
  assert.match((mixed as { message: string }).message, /^dataset: pick train_ids\.npy and valid_ids\.npy, or one text file \(got a\.npy, b\.txt\)/);
});
