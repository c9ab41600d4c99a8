// The optimizer kinds as the folder makes them: each definition's kind is its file name, the orders
// are distinct, and the select keeps its order (adamw, the default, first).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OPTIMIZER_KIND_DEFINITIONS, OPTIMIZER_KINDS, optimizerKind } from '.';
import { DEFINITIONS_BY_FILE } from './generated-list';

test("each definition's kind is its file's name", () => {
  for (const [file, definition] of Object.entries(DEFINITIONS_BY_FILE)) assert.equal(definition.kind, file, `engine/optim/kinds/${file}.ts`);
});

test('the kinds are ordered by their distinct `order`, as the select has always listed them', () => {
  const orders = OPTIMIZER_KIND_DEFINITIONS.map((d) => d.order);
  assert.equal(new Set(orders).size, orders.length, `two kinds share an order: ${orders.join(', ')}`);
  assert.deepEqual(
    orders,
    [...orders].sort((a, b) => a - b),
  );
  const original = ['adamw', 'adam', 'sgd', 'adagrad', 'lion', 'muon'];
  assert.deepEqual(
    OPTIMIZER_KINDS.filter((k) => original.includes(k)),
    original,
  );
});

test('optimizerKind finds each kind and names the known ones for an unknown kind', () => {
  for (const kind of OPTIMIZER_KINDS) assert.equal(optimizerKind(kind).kind, kind);
  assert.throws(() => optimizerKind('adamax'), { message: `optimizer: unknown kind adamax (one of ${OPTIMIZER_KINDS.join(', ')})` });
});
