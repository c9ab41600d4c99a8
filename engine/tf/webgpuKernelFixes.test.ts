// The AddN fix on a real WebGPU device (Dawn through the `webgpu` package, as engine/node/webgpu.ts
// sets it up; skipped where this machine has no adapter): tfjs's stock kernel returns garbage for
// more inputs than the device's storage-buffer limit, the fixed one sums them, and frees its partial sums.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../node/backend';
import { installNodeWebGpu } from '../node/webgpu';
import { installWebGpuKernelFixes } from './webgpuKernelFixes';

const adapter = await installNodeWebGpu().catch((e: Error) => e);
const skip = adapter instanceof Error && `no WebGPU adapter here: ${adapter.message.slice(0, 160)}`;

test('AddN over more inputs than maxStorageBuffersPerShaderStage', { skip }, async () => {
  await useBackend('webgpu');
  const n = 21; // > 8 (the default limit) and not a multiple of the chunk size
  const inputs = Array.from({ length: n }, (_, i) => tf.tensor1d([i, 2 * i, -i, 0.5]));
  const expected = [210, 420, -210, 10.5]; // sums of i, 2i, -i and 0.5 over i = 0..20
  // useBackend installs the fix (the stock kernel's pipeline is invalid past 8 inputs and its
  // output stays zeros); installing again changes nothing.
  installWebGpuKernelFixes();
  installWebGpuKernelFixes(); // idempotent
  const before = tf.memory().numTensors;
  const sum = tf.addN(inputs);
  assert.deepEqual(Array.from(await sum.data()), expected);
  assert.equal(tf.memory().numTensors, before + 1, 'only the result is new');
  // Few inputs still take the stock path.
  const few = tf.addN(inputs.slice(0, 3));
  assert.deepEqual(Array.from(await few.data()), [3, 6, -3, 1.5]);
  tf.dispose([...inputs, sum, few]);
  await useBackend('cpu');
});
