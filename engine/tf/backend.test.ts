// useBackend switches tfjs backends by name and reports the one in use.
import '../node/tfjs'; // tfjs-core with its gradients, as Node sets it up
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from './backend';

test('useBackend starts wasm and cpu and returns the active backend', async () => {
  assert.equal(await useBackend('wasm'), 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
  assert.equal(
    tf.tidy(() => tf.add(tf.scalar(2), tf.scalar(3)).dataSync()[0]),
    5,
  );
  assert.equal(await useBackend('cpu'), 'cpu');
  assert.equal(tf.getBackend(), 'cpu');
});

const hasTfjsNode = (() => {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
})();

test('useBackend explains a missing optional backend package', { skip: hasTfjsNode && 'tfjs-node is installed' }, async () => {
  await assert.rejects(useBackend('tensorflow'), /needs the optional package @tensorflow\/tfjs-node/);
});
