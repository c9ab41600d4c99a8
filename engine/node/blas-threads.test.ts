// Threads for a run's matmuls on the native BLAS (blas-threads.ts), and a run that takes them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compile } from '../compiler/compile';
import type { RunEvent } from '../events';
import { blasThreadsFor, threadsPay } from './blas-threads';
import { trainPipeline } from './train';

const doc = (name: string) => JSON.parse(readFileSync(new URL(`../../pipelines/${name}.json`, import.meta.url), 'utf8'));
const planOf = (d: unknown) => {
  const compiled = compile(d);
  assert.ok(compiled.ok);
  return compiled.plan;
};
/** The seed pipeline widened to M's size of product (1,024 tokens x d_model 512). */
function wide() {
  const d = doc('seed');
  for (const n of d.nodes) if (n.id === 'model') Object.assign(n.params, { d_model: 512, n_heads: 8 });
  return d;
}
/** The seed pipeline at the quality config's size of product (batch 32 x context 128, d_model 128). */
function qualitySized() {
  const d = doc('seed');
  for (const n of d.nodes) {
    if (n.type === 'get_batch') Object.assign(n.params, { batch_size: 32, context_length: 128 });
    if (n.id === 'model') Object.assign(n.params, { context_length: 128 });
  }
  return d;
}

test('small models keep one thread, large ones get up to 4 cores, PRETRAIN_BLAS_THREADS decides when set', () => {
  assert.equal(blasThreadsFor(planOf(doc('seed')), {}, 16), 1, 'seed: 1,024 x 128');
  assert.equal(blasThreadsFor(planOf(qualitySized()), {}, 2), 1, 'the quality config: 4,096 x 128, a second thread did not pay');
  assert.equal(blasThreadsFor(planOf(wide()), {}, 16), 4);
  assert.equal(blasThreadsFor(planOf(wide()), {}, 2), 2);
  assert.equal(blasThreadsFor(planOf(doc('smoke')), { PRETRAIN_BLAS_THREADS: '3' }, 2), 3);
  assert.equal(blasThreadsFor(planOf(wide()), { PRETRAIN_BLAS_THREADS: 'lots' }, 2), 2, 'an unreadable value is ignored');
});

test('threads pay for wide products from 131,072 tokens x width, for narrow ones from about 1M', () => {
  assert.equal(threadsPay(1024, 256), true, 'd_model 256 at 1,024 tokens: 1.5x measured');
  assert.equal(threadsPay(256, 512), true, 'd_model 512 at 256 tokens: 1.25x');
  assert.equal(threadsPay(256, 256), false, 'd_model 256 at 256 tokens: 0.99x');
  assert.equal(threadsPay(4096, 128), false, 'the quality config: 0.96-1.09x');
  assert.equal(threadsPay(8192, 128), true, 'd_model 128 at 8,192 tokens: 1.18x');
  assert.equal(threadsPay(1024, 128), false, 'R');
});

test('a run reports the threads its matmuls use', async () => {
  const out = await mkdtemp(join(tmpdir(), 'blas-threads-'));
  try {
    const started: string[] = [];
    const sink = { emit: (e: RunEvent) => void (e.type === 'run/started' && started.push(e.data.matmul ?? '')) };
    await trainPipeline({ pipeline: doc('smoke'), outDir: out, steps: 1, sink, env: { PRETRAIN_BLAS_THREADS: '2' } });
    await trainPipeline({ pipeline: doc('smoke'), outDir: out, steps: 1, sink, env: {} });
    assert.match(started[0], /^OpenBLAS .*, 2 threads$/);
    assert.match(started[1], /^OpenBLAS .*, 1 thread$/);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
