// Share links: compress → base64url → hash and back reproduce the document exactly.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import { test } from 'node:test';
import { documentToText, loadDocumentValue, parseDocumentText } from './document';
import { decodeShare, encodeShare, fromBase64Url, isShareHash, SHARE_PREFIX, toBase64Url } from './share';

const names = ['seed', 'smoke', 'adamw-vs-sgd'];

test('every template survives a share link byte for byte', async () => {
  for (const name of names) {
    const loaded = parseDocumentText(readFileSync(new URL(`../pipelines/${name}.json`, import.meta.url), 'utf8'));
    assert.ok(loaded.ok);
    const hash = await encodeShare(loaded.doc);
    assert.ok(isShareHash(hash));
    assert.match(hash.slice(SHARE_PREFIX.length), /^[A-Za-z0-9_-]+$/);
    const back = loadDocumentValue(await decodeShare(hash));
    assert.ok(back.ok);
    assert.equal(documentToText(back.doc), documentToText(loaded.doc));
  }
});

test('the payload is standard raw deflate of the compact JSON (zlib reads it too)', async () => {
  const loaded = parseDocumentText(readFileSync(new URL('../pipelines/seed.json', import.meta.url), 'utf8'));
  assert.ok(loaded.ok);
  const hash = await encodeShare(loaded.doc);
  const json = inflateRawSync(fromBase64Url(hash.slice(SHARE_PREFIX.length))).toString('utf8');
  assert.deepEqual(JSON.parse(json), JSON.parse(documentToText(loaded.doc)));
  assert.ok(hash.length < json.length / 2, `compressed ${hash.length} vs ${json.length}`);
});

test("base64url matches Node's encoder, without padding, for every length mod 3", () => {
  for (const length of [0, 1, 2, 3, 4, 5, 70000]) {
    const bytes = new Uint8Array(length).map((_, i) => (i * 131 + 7) % 256);
    const text = toBase64Url(bytes);
    assert.equal(text, Buffer.from(bytes).toString('base64url'));
    assert.deepEqual(fromBase64Url(text), bytes);
  }
});

test('damaged links fail with a readable message', async () => {
  await assert.rejects(decodeShare('#p=%%%'), /damaged/);
  await assert.rejects(decodeShare('#p=AAAA'), /damaged/);
  await assert.rejects(decodeShare('#x=abc'), /not a pipeline link/);
});
