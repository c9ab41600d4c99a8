// POST /api/runs's body, built from the executor registry: an executor's own fields are refused
// for the others, naming the executors that take them, and the defaults are filled in.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { submitBody } from './submit-body';

const pipeline = { version: 1, nodes: [], edges: [] };

/** The refusals of a body, as `field: message`. */
function refusals(body: Record<string, unknown>): string[] {
  const parsed = submitBody().safeParse({ pipeline, ...body });
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

test('a body without executor is a node run; each executor takes its own fields', () => {
  const parsed = submitBody().parse({ pipeline, steps: 3 });
  assert.equal(parsed.executor, 'node');
  assert.deepEqual(refusals({ executor: 'node', backend: 'tensorflow', resume: { upload: 'x' } }), []);
  assert.deepEqual(refusals({ executor: 'torch', torch: { nproc: 2, device: 'cuda' }, resume: { run: 'r', checkpoint: 'c' } }), []);
  assert.deepEqual(refusals({ executor: 'browser', backend: 'webgpu', resume: { run: 'r', checkpoint: 'c' } }), []);
});

test('a field the executor does not take is refused, naming the executors that take it', () => {
  assert.deepEqual(refusals({ executor: 'torch', backend: 'wasm' }), ['backend: is for executors "node" and "browser"; torch runs take torch.device']);
  assert.deepEqual(refusals({ executor: 'node', torch: { nproc: 1 } }), ['torch: is for executor "torch"']);
  assert.deepEqual(refusals({ executor: 'browser', torch: { nproc: 1 } }), ['torch: is for executor "torch"']);
});

test('a backend of another executor is refused with the ones this executor starts', () => {
  assert.deepEqual(refusals({ executor: 'node', backend: 'webgpu' }), ['backend: must be one of wasm, cpu, tensorflow for executor "node"']);
  assert.deepEqual(refusals({ backend: 'auto' }), ['backend: must be one of wasm, cpu, tensorflow for executor "node"']);
  assert.deepEqual(refusals({ executor: 'browser', backend: 'tensorflow' }), ['backend: must be one of auto, webgpu, webgl, wasm, cpu for executor "browser"']);
});

test('unknown executors, backends and settings are refused where they enter', () => {
  assert.deepEqual(
    refusals({ executor: 'gpu-farm' }).map((r) => r.split(':')[0]),
    ['executor'],
  );
  assert.deepEqual(
    refusals({ backend: 'tpu' }).map((r) => r.split(':')[0]),
    ['backend'],
  );
  assert.deepEqual(
    refusals({ executor: 'torch', torch: { nproc: 0 } }).map((r) => r.split(':')[0]),
    ['torch.nproc'],
  );
  assert.deepEqual(
    refusals({ executor: 'torch', torch: { gpus: 2 } }).map((r) => r.split(':')[0]),
    ['torch'],
  );
});
