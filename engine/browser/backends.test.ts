// Backend choice for browser runs, exercised in Node: WebGPU and WebGL are really unavailable here
// (no navigator.gpu, no OffscreenCanvas), so 'auto' must fall through to wasm with both reasons.
// The browser's own paths (WebGPU adapter, WebGL in a worker) are covered by e2e/browser-executor.e2e.ts.
import '../node/tfjs'; // tfjs-core with its gradients, as Node sets it up
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { backendOrder, softwareGpu, startBrowserBackend } from './backends';

test('backendOrder: auto is the whole chain, a name starts it there', () => {
  assert.deepEqual(backendOrder('auto'), ['webgpu', 'webgl', 'wasm', 'cpu']);
  assert.deepEqual(backendOrder(), ['webgpu', 'webgl', 'wasm', 'cpu']);
  assert.deepEqual(backendOrder('webgl'), ['webgl', 'wasm', 'cpu']);
  assert.deepEqual(backendOrder('cpu'), ['cpu']);
  assert.throws(() => backendOrder('metal' as never), /unknown browser backend 'metal'/);
});

test('auto in Node: webgpu and webgl are skipped with their reasons, wasm starts', async () => {
  const choice = await startBrowserBackend('auto');
  assert.equal(choice.name, 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
  assert.deepEqual(
    choice.fallbacks.map((f) => f.backend),
    ['webgpu', 'webgl'],
  );
  assert.match(choice.fallbacks[0].reason, /navigator\.gpu is missing/);
  assert.match(choice.fallbacks[1].reason, /no OffscreenCanvas/);
  assert.match(choice.detail, /SIMD/);
  assert.equal(choice.limits, undefined);
});

test('a named backend is used without fallbacks when it works', async () => {
  const choice = await startBrowserBackend('cpu');
  assert.deepEqual([choice.name, choice.fallbacks, tf.getBackend()], ['cpu', [], 'cpu']);
});

test('softwareGpu: SwiftShader, llvmpipe and fallback adapters are software; hardware is not', () => {
  assert.equal(softwareGpu({ vendor: 'google', architecture: 'swiftshader', description: '' }), 'google / swiftshader');
  assert.equal(softwareGpu({ renderer: 'ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero)), SwiftShader driver)' }) !== undefined, true);
  assert.equal(softwareGpu({ renderer: 'llvmpipe (LLVM 15.0.6, 256 bits)' }), 'llvmpipe (LLVM 15.0.6, 256 bits)');
  assert.equal(softwareGpu({ vendor: 'intel' }, true), 'intel');
  assert.equal(softwareGpu({}, true), 'a fallback adapter');
  assert.equal(softwareGpu({ vendor: 'nvidia', architecture: 'ampere' }), undefined);
  assert.equal(softwareGpu({ renderer: 'ANGLE (NVIDIA, NVIDIA GeForce RTX 3080 Direct3D11)' }), undefined);
  assert.equal(softwareGpu(undefined), undefined);
});
