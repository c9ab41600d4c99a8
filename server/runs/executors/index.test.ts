// The executor registry agrees with the shared names: one server executor per name, in the same
// order, each able to do what its definition says (a server-trained one starts runs, a tab's does
// not, and a run leaving a tab continues on one that starts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EXECUTOR_DEFINITIONS, EXECUTOR_NAMES } from '../../../engine/executors';
import { executorFor, registerExecutor, serverExecutors } from './index';

test('one server executor per shared name, under its own name, with the shared label', () => {
  assert.deepEqual(serverExecutors().map((e) => e.name), EXECUTOR_NAMES);
  for (const definition of EXECUTOR_DEFINITIONS) {
    const executor = executorFor(definition.name);
    assert.equal(executor.name, definition.name);
    assert.equal(executor.label, definition.label);
    assert.equal(executor.trainsIn, definition.trainsIn);
  }
  assert.equal(executorFor().name, 'node', 'the default executor');
});

test('executors trained on the server start runs; a tab\'s run continues on one that does', () => {
  for (const executor of serverExecutors()) {
    if (executor.trainsIn === 'server') assert.equal(typeof executor.start, 'function', executor.name);
    else {
      assert.equal(executor.start, undefined, executor.name);
      assert.ok(executor.resumesOn, `${executor.name} names where its runs continue`);
      const next = executorFor(executor.resumesOn.executor);
      assert.equal(next.trainsIn, 'server');
      assert.ok(next.request.backend?.safeParse(executor.resumesOn.backend).success, `${next.name} starts ${executor.resumesOn.backend}`);
    }
  }
});

test('registerExecutor refuses a taken name, a name that is no plain word, and a server executor that cannot start', () => {
  const node = executorFor('node');
  assert.throws(() => registerExecutor(node), /executor "node" is registered already/);
  assert.throws(() => registerExecutor({ ...node, name: 'My Executor' }), /executor name "My Executor": use lowercase letters/);
  assert.throws(() => registerExecutor({ ...node, name: 'idle', start: undefined }), /executor "idle" trains on the server but has no start\(\)/);
  assert.throws(() => executorFor('idle'), /no executor "idle" on this server \(it has node, torch, browser\)/);
});
