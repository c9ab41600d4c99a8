import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteTokenizer } from './byte';
import { tokenizerFromJSON } from './tokenizer';

const tok = new ByteTokenizer();

test('byte: ids are the UTF-8 bytes (ASCII, 2-, 3- and 4-byte characters)', () => {
  assert.deepEqual([...tok.encode('A')], [65]);
  assert.deepEqual([...tok.encode('é')], [0xc3, 0xa9]);
  assert.deepEqual([...tok.encode('中')], [0xe4, 0xb8, 0xad]);
  assert.deepEqual([...tok.encode('😀')], [0xf0, 0x9f, 0x98, 0x80]);
  assert.equal(tok.vocabSize, 256);
});

test('byte: round-trips mixed text incl. emoji, CJK and control characters', () => {
  const text = 'Hello, wörld! 😀👍🏽 中文字符 日本語 \t\n\r Ω≈ç√ \u0000end';
  const ids = tok.encode(text);
  assert.equal(ids.length, Buffer.byteLength(text, 'utf8'));
  assert.equal(tok.decode(ids), text);
});

test('byte: invalid UTF-8 decodes to U+FFFD instead of throwing', () => {
  assert.equal(tok.decode([0xff, 0x41]), '\uFFFDA');
  // An emoji cut after 2 of its 4 bytes, as a sampler might produce.
  assert.equal(tok.decode([0x61, 0xf0, 0x9f]), 'a\uFFFD');
});

test('byte: ids outside 0..255 are rejected', () => {
  assert.throws(() => tok.decode([256]), /not in 0\.\.255/);
  assert.throws(() => tok.decode([-1]), /not in 0\.\.255/);
});

test('byte: JSON round trip', () => {
  const json = JSON.parse(JSON.stringify(tok.toJSON()));
  assert.deepEqual(json, { kind: 'byte', vocabSize: 256 });
  const back = tokenizerFromJSON(json);
  assert.equal(back.kind, 'byte');
  assert.equal(back.decode(back.encode('ok 😀')), 'ok 😀');
});
