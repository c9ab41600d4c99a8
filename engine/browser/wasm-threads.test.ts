// Thread choice for browser runs on wasm (wasm-threads.ts): small models stay on one thread, and
// where SharedArrayBuffer is missing (here: Node is not cross-origin isolated) threads are off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { compile } from '../compiler/compile';
import { prepareWasmThreads, wasmThreadsFor } from './wasm-threads';

const planOf = (name: string) => {
  const compiled = compile(JSON.parse(readFileSync(new URL(`../../pipelines/${name}.json`, import.meta.url), 'utf8')));
  assert.ok(compiled.ok);
  return compiled.plan;
};

test('wasmThreadsFor: one thread for the smoke model, every core for the seed model', () => {
  assert.equal(wasmThreadsFor(planOf('smoke')), 1);
  assert.equal(wasmThreadsFor(planOf('seed')), undefined);
});

test('prepareWasmThreads turns threads off, saying why, without cross-origin isolation', async () => {
  const flags: [string, boolean][] = [];
  const reasons: string[] = [];
  const restore = await prepareWasmThreads(
    '/tfjs-wasm/',
    4,
    (k, v) => flags.push([k, v]),
    (r) => reasons.push(r),
  );
  assert.equal(restore, undefined);
  assert.deepEqual(flags, [['WASM_HAS_MULTITHREAD_SUPPORT', false]]);
  assert.match(reasons[0], /not cross-origin isolated/);
  reasons.length = 0;
  assert.equal(
    await prepareWasmThreads(
      '/tfjs-wasm/',
      1,
      () => {},
      (r) => reasons.push(r),
    ),
    undefined,
  );
  assert.deepEqual(reasons, [], 'one thread asked for: nothing to explain');
});
