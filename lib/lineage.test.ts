// The runs' family tree and fork labels.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { childrenOf, forkLabel, lineageTree } from './lineage';

test('forks sit under their parents; a fork whose parent is not listed is a root', () => {
  const tree = lineageTree([
    { id: 'c', name: 'fork of a', parent: { run: 'a', step: 20 } },
    { id: 'a', name: 'base' },
    { id: 'd', name: 'fork of c', parent: { run: 'c', step: 30 } },
    { id: 'b', name: 'fork of a too', parent: { run: 'a', step: 10 } },
    { id: 'e', name: 'orphan', parent: { run: 'gone', step: 5 } },
  ]);
  const shape = (nodes: typeof tree): unknown => nodes.map((n) => [n.run.id, shape(n.children)]);
  assert.deepEqual(shape(tree), [
    [
      'a',
      [
        ['b', []],
        ['c', [['d', []]]],
      ],
    ],
    ['e', []],
  ]);
});

test('a fork label names the changed fields and the step, without the run length', () => {
  assert.equal(
    forkLabel(
      [
        { nodeId: 'optimizer', field: 'lr', old: 0.003, new: 0.001 },
        { nodeId: 'training', field: 'steps', old: 400, new: 800 },
      ],
      400,
    ),
    'optimizer.lr 0.003 → 0.001 @ step 400',
  );
  assert.equal(forkLabel([], 12), 'no param changes @ step 12');
});

test("a run's children are the runs forked from it, oldest first", () => {
  const runs = [
    { id: 'c', name: 'second fork', parent: { run: 'a', step: 20 } },
    { id: 'a', name: 'base' },
    { id: 'b', name: 'first fork', parent: { run: 'a', step: 10 } },
    { id: 'd', name: 'grandchild', parent: { run: 'c', step: 30 } },
  ];
  assert.deepEqual(
    childrenOf(runs, 'a').map((r) => r.id),
    ['b', 'c'],
  );
  assert.deepEqual(childrenOf(runs, 'd'), []);
});
