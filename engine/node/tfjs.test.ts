// tfjs-core set up for Node (tfjs.ts): without it tfjs-core has no gradient and useBackend says
// what to import; with it every gradient tfjs-core ships is registered once, the chained methods
// work, and a gradient matches its closed form. Each case runs in a fresh process, since the
// registries are global to one.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

const ENGINE = new URL('..', import.meta.url).pathname;

/** Runs `source` (an ES module) in a fresh Node with tsx; returns what it printed, or throws with its stderr. */
function inFreshNode(source: string): string {
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', source], { encoding: 'utf8', cwd: ENGINE });
  if (result.status !== 0) throw new Error(result.stderr);
  return result.stdout.trim();
}

test('without tfjs.ts, tfjs-core has no gradients and useBackend names the file to import', () => {
  const out = inFreshNode(`
    import * as tf from '@tensorflow/tfjs-core';
    import { useBackend } from '${ENGINE}tf/backend.ts';
    console.log(String(tf.getGradient('MatMul') !== undefined));
    await useBackend('cpu').then(() => console.log('started'), (err) => console.log(err.message));
  `);
  const [hasGradient, started] = out.split('\n');
  assert.equal(hasGradient, 'false');
  assert.match(started, /^tfjs has no gradients registered here: import engine\/node\/tfjs\.ts \(Node\)/);
});

test('with tfjs.ts: the gradients tfjs-core ships, chained methods, and d/dx sum(x·x) = 2x', () => {
  const out = inFreshNode(`
    import { readFileSync } from 'node:fs';
    import { createRequire } from 'node:module';
    import * as tf from '@tensorflow/tfjs-core';
    import '${ENGINE}node/tfjs.ts';
    import { useBackend } from '${ENGINE}node/backend.ts';
    await useBackend('cpu');
    // Every gradient config tfjs-core's register_all_gradients imports is registered.
    const list = readFileSync(createRequire(import.meta.url).resolve('@tensorflow/tfjs-core/dist/register_all_gradients.js'), 'utf8');
    const names = [...list.matchAll(/gradients\\/(\\w+)_grad'/g)].map((m) => m[1]);
    const missing = names.filter((name) => tf.getGradient(name) === undefined);
    const x = tf.tensor1d([1, -2, 3.5]);
    const g = tf.grad((v) => tf.sum(tf.mul(v, v)))(x);
    console.log(JSON.stringify({ gradients: names.length, missing, chained: Array.from(x.add(x).dataSync()), grad: Array.from(g.dataSync()) }));
  `);
  const result = JSON.parse(out);
  assert.ok(result.gradients > 90, `register_all_gradients lists ${result.gradients}`);
  assert.deepEqual(result.missing, []);
  assert.deepEqual(result.chained, [2, -4, 7]);
  assert.deepEqual(result.grad, [2, -4, 7]);
});
