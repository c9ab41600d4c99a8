// Every optimizer definition has its tfjs update and no update is left without a definition; the
// compiler checks the same through the generated Record, this checks what actually loads.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OPTIMIZER_KINDS } from '../kinds';
import { OPTIMIZER_UPDATES } from '.';

test('each optimizer kind has an update, and each update a kind', () => {
  for (const kind of OPTIMIZER_KINDS) {
    assert.equal(typeof OPTIMIZER_UPDATES[kind]?.update, 'function', `optimizer kind ${kind} has no update: write engine/optim/updates/${kind}.ts`);
  }
  assert.deepEqual(Object.keys(OPTIMIZER_UPDATES).sort(), [...OPTIMIZER_KINDS].sort());
});
