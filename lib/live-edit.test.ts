// What the inspector offers while a run trains: live and locked fields from the node definitions.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fieldLocks, parseFieldValue } from './live-edit';

test('optimizer: lr live, kind locked with the reason; model: only the inside view cadence live', () => {
  const optimizer = fieldLocks('optimizer');
  assert.equal(optimizer.find((f) => f.field === 'lr')?.live, true);
  const kind = optimizer.find((f) => f.field === 'kind')!;
  assert.equal(kind.live, false);
  assert.match(kind.reason!, /fork/);
  const model = fieldLocks('model');
  assert.deepEqual(
    model.filter((f) => f.live).map((f) => f.field),
    ['inspect_every'],
  );
  assert.ok(model.filter((f) => f.field !== 'inspect_every').every((f) => !f.live && /fixed while the run trains/.test(f.reason!)));
  assert.deepEqual(fieldLocks('nope'), []);
});

test('typed values from inputs', () => {
  assert.equal(parseFieldValue('0.003'), 0.003);
  assert.equal(parseFieldValue('true'), true);
  assert.equal(parseFieldValue('cosine'), 'cosine');
  assert.equal(parseFieldValue(' '), ' ');
});
