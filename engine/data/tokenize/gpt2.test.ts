import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tiktoken } from 'js-tiktoken/lite';
import gpt2Ranks from 'js-tiktoken/ranks/gpt2';
import { loadGpt2Tokenizer } from './gpt2';
import { loadTokenizer, tokenizerFromJSON } from './tokenizer';

test('gpt2: known ids from GPT-2 ("Hello world" = [15496, 995]) and round trip', async () => {
  const tok = await loadGpt2Tokenizer();
  assert.equal(tok.vocabSize, 50257);
  assert.deepEqual([...tok.encode('Hello world')], [15496, 995]);
  assert.deepEqual([...tok.encode(' the')], [262]);
  assert.equal(tok.decode([15496, 995]), 'Hello world');
  const text = 'GPT-2 tokenizes “unicode” too: naïve café, 中文, 😀.\n\n  Indented line';
  assert.equal(tok.decode(tok.encode(text)), text);
});

test('gpt2: cached per-chunk encoding equals js-tiktoken encoding the whole text', async () => {
  const tok = await loadGpt2Tokenizer();
  const reference = new Tiktoken(gpt2Ranks);
  const para = "It's 1961 -- the jury said   \"no\" (twice)!\n\n\tThey'll re-run it; we've seen 3.14 of $1,000.\r\n";
  const text = para.repeat(20) + '  trailing spaces   ';
  assert.deepEqual([...tok.encode(text)], reference.encode(text));
});

test('gpt2: <|endoftext|> in input text is plain text, id 50256 decodes to it', async () => {
  const tok = await loadGpt2Tokenizer();
  const ids = tok.encode('a<|endoftext|>b');
  assert.ok(!ids.includes(50256));
  assert.equal(tok.decode(ids), 'a<|endoftext|>b');
  assert.equal(tok.decode([50256]), '<|endoftext|>');
  assert.throws(() => tok.decode([50257]), /outside the vocab/);
});

test('gpt2: restored from JSON (async always, sync once loaded)', async () => {
  const json = JSON.parse(JSON.stringify((await loadGpt2Tokenizer()).toJSON()));
  assert.deepEqual(json, { kind: 'gpt2', vocabSize: 50257 });
  const viaLoad = await loadTokenizer(json);
  const viaSync = tokenizerFromJSON(json); // ranks are loaded by now
  assert.deepEqual([...viaLoad.encode('Hello world')], [15496, 995]);
  assert.equal(viaSync.decode([15496, 995]), 'Hello world');
});
