import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitChunks } from './pretokenize';

test('splitChunks: GPT-2 chunks (hand-checked against openai/gpt-2 encoder.py rules)', () => {
  assert.deepEqual([...splitChunks("Hello  world's 42!")], ['Hello', ' ', ' world', "'s", ' 42', '!']);
  // A whitespace run keeps its last character for the next word (\s+(?!\S)), so '\n\nOK'
  // splits as '\n', '\n', 'OK' - tiktoken's gpt2 encodes it as [198, 198, 11380] too.
  assert.deepEqual([...splitChunks("I'll pay $3.50...\n\nOK")], ['I', "'ll", ' pay', ' $', '3', '.', '50', '...', '\n', '\n', 'OK']);
  assert.deepEqual([...splitChunks('a   b\n\n')], ['a', '  ', ' b', '\n\n']);
  assert.deepEqual([...splitChunks('naïve 中文 😀  ')], ['naïve', ' 中文', ' 😀', '  ']);
});

test('splitChunks: chunks concatenate back to the input', () => {
  const text = 'Tabs\tand  spaces \n\r\n — “quotes” 1,234.5 can\'t WON\'T';
  assert.equal([...splitChunks(text)].join(''), text);
});
