// Locating JSON paths in text, checked against positions computed independently.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { locateJsonPath, positionAt } from './json-locate';

const doc = {
  version: 1,
  nodes: [
    { id: 'a', params: { lr: 0.1, name: 'x "quoted" }' } },
    { id: 'b', params: {} },
  ],
  edges: [],
};
const text = JSON.stringify(doc, null, 2);

test('finds values at object keys and array indices', () => {
  const span = locateJsonPath(text, ['nodes', 0, 'params', 'lr'])!;
  assert.equal(text.slice(span.start, span.end), '0.1');
  const name = locateJsonPath(text, ['nodes', 0, 'params', 'name'])!;
  assert.equal(JSON.parse(text.slice(name.start, name.end)), 'x "quoted" }');
  const second = locateJsonPath(text, ['nodes', 1])!;
  assert.deepEqual(JSON.parse(text.slice(second.start, second.end)), doc.nodes[1]);
  assert.deepEqual(JSON.parse(text.slice(...(Object.values(locateJsonPath(text, [])!) as [number, number]))), doc);
});

test('a missing key points at the object that should hold it', () => {
  const span = locateJsonPath(text, ['nodes', 1, 'params', 'lr'])!;
  assert.equal(text.slice(span.start, span.end), '{}');
  const edges = locateJsonPath(text, ['edges', 3])!;
  assert.equal(text.slice(edges.start, edges.end), '[]');
});

test('compact text works too, and positions are 1-based lines and columns', () => {
  const compact = JSON.stringify(doc);
  const span = locateJsonPath(compact, ['nodes', 1, 'id'])!;
  assert.equal(compact.slice(span.start, span.end), '"b"');
  assert.deepEqual(positionAt('ab\ncd', 4), { line: 2, column: 2 });
  assert.deepEqual(positionAt('ab', 0), { line: 1, column: 1 });
});
