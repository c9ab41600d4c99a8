// WebGPU in Node (webgpu.ts): option parsing, the adapter attempts per platform, and, where
// this machine has an adapter (a GPU, or Mesa's llvmpipe through EGL), a real matmul on tfjs's
// webgpu backend. Without one the last test is skipped, with the reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from './backend';
import { installNodeWebGpu, parseWebGpuOptions, webGpuAttempts } from './webgpu';

test('PRETRAIN_WEBGPU_OPTIONS: Dawn options pass through, featureLevel=compatibility is ours', () => {
  assert.deepEqual(parseWebGpuOptions('  backend=vulkan  adapter=NVIDIA '), { options: ['backend=vulkan', 'adapter=NVIDIA'] });
  assert.deepEqual(parseWebGpuOptions('backend=opengles featureLevel=compatibility'), { options: ['backend=opengles'], featureLevel: 'compatibility' });
});

test('adapter attempts: the override alone, else Dawn default then (Linux) GLES compatibility', () => {
  assert.deepEqual(webGpuAttempts('linux', { PRETRAIN_WEBGPU_OPTIONS: 'backend=vulkan' }), [{ options: ['backend=vulkan'] }]);
  assert.deepEqual(webGpuAttempts('linux', {}), [{ options: [] }, { options: ['backend=opengles'], featureLevel: 'compatibility' }]);
  assert.deepEqual(webGpuAttempts('darwin', { PRETRAIN_WEBGPU_OPTIONS: '  ' }), [{ options: [] }]);
});

const adapter = await installNodeWebGpu().catch((e: Error) => e);

test(
  'useBackend("webgpu") in Node trains on Dawn',
  { skip: adapter instanceof Error && `no WebGPU adapter here: ${adapter.message.slice(0, 160)}` },
  async () => {
    assert.equal(await useBackend('webgpu'), 'webgpu');
    const a = tf.tensor2d([
      [1, 2],
      [3, 4],
    ]);
    // Gradients run too (the engine's custom ops fall back to composed forms on webgpu).
    const [g] = tf.grads((x: tf.Tensor) => tf.sum(tf.matMul(x, x)))([a]);
    assert.deepEqual(await tf.matMul(a, a).array(), [
      [7, 10],
      [15, 22],
    ]);
    assert.deepEqual(await g.array(), [
      [7, 11],
      [9, 13],
    ]);
    await useBackend('cpu');
  },
);
