// The sharing Identity kernel on wasm: a clone reads the same values without a copy, outlives its
// source, and the buffer is freed once the last of them is disposed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../../../node/backend';
import { ensureKernelsRegistered } from '../../register';
import { identitySharedConfig } from './Identity';

test('wasm clone shares the buffer (reference-counted) and survives its source', async () => {
  await useBackend('wasm');
  ensureKernelsRegistered();
  assert.equal(tf.getKernel('Identity', 'wasm')?.kernelFunc, identitySharedConfig.kernelFunc, 'the override is in place');
  const backend = tf.engine().backend as unknown as { numDataIds(): number };
  const ids = backend.numDataIds();
  const x = tf.tensor1d([1, 2, 3]);
  const y = tf.clone(x);
  assert.equal(backend.numDataIds(), ids + 1, 'one buffer for both');
  x.dispose();
  assert.deepEqual(Array.from(await y.data()), [1, 2, 3], 'the clone outlives its source');
  y.dispose();
  assert.equal(backend.numDataIds(), ids, 'freed with the last reference');
});

test('re-importing the wasm package does not undo the override (checked on every op call)', async () => {
  await useBackend('wasm');
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({
    ...identitySharedConfig,
    kernelFunc: (() => {
      throw new Error('stock');
    }) as unknown as tf.KernelFunc,
  });
  ensureKernelsRegistered();
  assert.equal(tf.getKernel('Identity', 'wasm')?.kernelFunc, identitySharedConfig.kernelFunc);
  assert.deepEqual(tf.clone(tf.tensor1d([4])).arraySync(), [4]);
});
