import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trainBpe } from './bpe';
import { loadTokenizer, parseTokenizerJson, tokenizerFromJSON } from './tokenizer';

// Must run first in this file: node:test runs each file in its own process, so GPT-2's
// ranks are not loaded yet here.
test('tokenizerFromJSON: gpt2 before its ranks are loaded says to use loadTokenizer', () => {
  assert.throws(() => tokenizerFromJSON({ kind: 'gpt2', vocabSize: 50257 }), /loadTokenizer/);
});

test('loadTokenizer restores every kind from plain JSON', async () => {
  const bpe = trainBpe('the cat sat on the mat with the hat', 270);
  for (const json of [{ kind: 'byte', vocabSize: 256 }, bpe.toJSON(), { kind: 'gpt2', vocabSize: 50257 }]) {
    const tok = await loadTokenizer(JSON.parse(JSON.stringify(json)));
    assert.equal(tok.kind, json.kind);
    assert.equal(tok.vocabSize, json.vocabSize);
    assert.deepEqual(tok.toJSON(), json);
    assert.equal(tok.decode(tok.encode('the hat, 😀')), 'the hat, 😀');
  }
});

test('tokenizer.json validation: readable errors for bad files', () => {
  assert.throws(() => parseTokenizerJson({ kind: 'wordpiece' }), /tokenizer\.json is invalid/);
  assert.throws(() => parseTokenizerJson({ kind: 'byte', vocabSize: 300 }), /invalid/);
  assert.throws(() => parseTokenizerJson({ kind: 'bpe', vocabSize: 257, pattern: 'gpt2', merges: [[1]] }), /invalid/);
  // Structurally fine but inconsistent: caught when building the tokenizer.
  assert.throws(() => tokenizerFromJSON({ kind: 'bpe', vocabSize: 300, pattern: 'gpt2', merges: [[97, 98]] }), /vocabSize 300/);
  assert.throws(() => tokenizerFromJSON({ kind: 'bpe', vocabSize: 257, pattern: 'gpt2', merges: [[97, 400]] }), /does not exist/);
});
