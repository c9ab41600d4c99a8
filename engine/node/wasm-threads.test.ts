// Multi-threaded wasm in Node (wasm-threads.ts): the XNNPACK pool really has the threads asked
// for, matmuls (which run on it) still equal the cpu backend's, and the process is not kept alive
// by the pool (the test runner would time out). This file's process must not have started wasm
// before: the thread count is read once, at the first initialisation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { normalArray, Rng } from '../random';
import { useBackend, wasmThreadCount } from './backend';

const canThread = typeof (process as { getBuiltinModule?: unknown }).getBuiltinModule === 'function';

test(
  'useBackend("wasm", { wasmThreads: 2 }) runs XNNPACK on 2 threads with unchanged results',
  { skip: !canThread && 'Node < 20.16 has no process.getBuiltinModule' },
  async () => {
    assert.equal(await useBackend('wasm', { wasmThreads: 2 }), 'wasm');
    assert.equal(await wasmThreadCount(), 2);
    const rng = new Rng(5);
    const a = normalArray(rng, 300 * 200, 1);
    const b = normalArray(rng, 200 * 100, 1);
    const onWasm = await tf.matMul(tf.tensor2d(a, [300, 200]), tf.tensor2d(b, [200, 100])).data();
    // The Blob, URL and os patches are gone once the backend is up.
    assert.equal(globalThis.Blob.name, 'Blob');
    await useBackend('cpu');
    const onCpu = await tf.matMul(tf.tensor2d(a, [300, 200]), tf.tensor2d(b, [200, 100])).data();
    for (let i = 0; i < onCpu.length; i++) assert.ok(Math.abs(onWasm[i] - onCpu[i]) < 1e-3, `[${i}] ${onWasm[i]} vs ${onCpu[i]}`);
    // A later request cannot change the pool of the backend already made.
    assert.equal(await useBackend('wasm', { wasmThreads: 4 }), 'wasm');
    assert.equal(await wasmThreadCount(), 2);
  },
);
