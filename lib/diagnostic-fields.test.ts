import assert from 'node:assert/strict';
import { test } from 'node:test';
import { namesField } from './diagnostic-fields';

test('a cross-field message names both fields; parts of longer names do not count', () => {
  const message = 'd_model (128) must be divisible by n_heads (7)';
  assert.ok(namesField(message, 'd_model'));
  assert.ok(namesField(message, 'n_heads'));
  assert.equal(namesField(message, 'heads'), false);
  assert.equal(namesField(message, 'model'), false);
  assert.equal(namesField('is 64, but get_batch sends sequences of 128 tokens', 'context_length'), false);
  assert.equal(namesField('min_lr must not exceed lr (0.1)', 'lr'), true);
});
