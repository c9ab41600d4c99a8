import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { decodeNpy } from '../data/npy';
import { ByteTokenizer } from '../data/tokenize/byte';
import { tokenizerFromJSON } from '../data/tokenize/tokenizer';
import { detagBrown, isValidDocument, prepareCorpus, readBrownDocuments, readBrownText } from './corpus';

test('detagBrown: strips tags, rebuilds spacing and quotes, keeps sentences and paragraphs', () => {
  const src =
    "\n\n\tThe/at jury/nn said/vbd ``/`` no/at evidence/nn ''/'' ./.\n" +
    'It/pps costs/vbz $1,000/nns (/( and/or/cc more/ap )/) ;/. see/vb Jr./np ./.\n\n\n' +
    "\tHe/pps said/vbd '/' hi/uh '/' ,/, then/rb left/vbd --/-- quickly/rb !/.\n" +
    "He/pps was/bedz 4'/nns 10''/nns ''/'' tall/jj ./.\n";
  assert.equal(
    detagBrown(src),
    'The jury said "no evidence".\n' + 'It costs $1,000 (and/or more); see Jr.\n\n' + "He said 'hi', then left -- quickly!\n" + 'He was 4\' 10" tall.',
  );
});

test('Brown text: plausible size, no tag remnants, readable start', async () => {
  const text = await readBrownText();
  assert.ok(text.length > 5.5e6 && text.length < 6.5e6, `chars ${text.length}`);
  const words = text.split(/\s+/).filter(Boolean).length;
  assert.ok(words > 0.95e6 && words < 1.1e6, `words ${words}`);
  assert.ok(text.startsWith('The Fulton County Grand Jury said Friday an investigation of'));
  // word/tag pattern: the first ~1M characters have no legitimate slashed words at all.
  assert.equal(text.slice(0, 1e6).match(/\S+\/[a-z$.*-]+/), null);
  // Over the whole text, no common tag survives after a slash ('and/or' is a real word).
  assert.equal(text.match(/\S\/(at|nn|nns|np|jj|vbd|vbz|vbn|cc|rb|pps|ppss|dt|md|cd|be|hv)(-tl|-hl)?(?![a-z])/), null);
  assert.ok(!text.includes('``') && !text.includes("''"), 'corpus quotes become "');
  assert.equal(text.match(/ [,.;:?!)]/g)?.length ?? 0, 1); // one stray ' .' in the source, rebuilt as is
});

test('Brown documents: 500 samples over 15 genres', async () => {
  const docs = await readBrownDocuments();
  assert.equal(docs.length, 500);
  assert.equal(new Set(docs.map((d) => d.category)).size, 15);
  assert.deepEqual([docs[0].id, docs[0].category, docs[499].id], ['ca01', 'news', 'cr09']);
  assert.deepEqual(
    Array.from({ length: 30 }, (_, i) => i).filter((i) => isValidDocument(i, 0.1)),
    [9, 19, 29],
  );
});

test('prepareCorpus (byte): npy files match meta.json, valid is held-out documents, second call reuses', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'brown-'));
  try {
    const info = await prepareCorpus(dir);
    const meta = JSON.parse(await readFile(path.join(dir, 'meta.json'), 'utf8'));
    assert.deepEqual(meta, info);
    assert.equal(meta.tokenizer, 'byte');
    assert.equal(meta.vocab_size, 256);
    assert.equal(meta.source, 'brown');
    const train = decodeNpy(await readFile(path.join(dir, 'train_ids.npy')));
    const valid = decodeNpy(await readFile(path.join(dir, 'valid_ids.npy')));
    assert.ok(train.data instanceof Uint16Array && valid.data instanceof Uint16Array);
    assert.deepEqual(train.header.shape, [meta.train_tokens]);
    assert.deepEqual(valid.header.shape, [meta.valid_tokens]);
    const ratio = meta.valid_tokens / (meta.train_tokens + meta.valid_tokens);
    assert.ok(ratio > 0.07 && ratio < 0.13, `valid share ${ratio}`);
    assert.equal(Math.max(...train.data.subarray(0, 100000)) <= meta.max_id, true);
    assert.equal(meta.max_id, 125); // Brown is plain ASCII

    const tok = tokenizerFromJSON(JSON.parse(await readFile(path.join(dir, 'tokenizer.json'), 'utf8')));
    assert.ok(tok instanceof ByteTokenizer);
    const trainText = tok.decode(train.data);
    const validText = tok.decode(valid.data);
    // Valid is exactly the every-10th documents, and none of their openings occur in train.
    const docs = await readBrownDocuments();
    const validDocs = docs.filter((_, i) => isValidDocument(i, 0.1));
    assert.equal(validDocs.length, 50);
    assert.equal(validText, validDocs.map((d) => d.text).join('\n\n') + '\n');
    for (const d of validDocs) assert.ok(!trainText.includes(d.text.slice(0, 200)), `${d.id} leaked into train`);

    // Prepared on first use only: the second call returns the same info without rewriting.
    const before = (await stat(path.join(dir, 'train_ids.npy'))).mtimeMs;
    assert.deepEqual(await prepareCorpus(dir), info);
    assert.equal((await stat(path.join(dir, 'train_ids.npy'))).mtimeMs, before);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
