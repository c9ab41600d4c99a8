// Threads for a run's matmuls on the native BLAS (blas-threads.ts), and a run that takes them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compile } from '../compiler/compile';
import type { RunEvent } from '../events';
import { blasThreadsFor } from './blas-threads';
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

test('small models keep one thread, large ones get up to 4 cores, PRETRAIN_BLAS_THREADS decides when set', () => {
  assert.equal(blasThreadsFor(planOf(doc('seed')), {}, 16), 1, 'seed: 1,024 x 128');
  assert.equal(blasThreadsFor(planOf(wide()), {}, 16), 4);
  assert.equal(blasThreadsFor(planOf(wide()), {}, 2), 2);
  assert.equal(blasThreadsFor(planOf(doc('smoke')), { PRETRAIN_BLAS_THREADS: '3' }, 2), 3);
  assert.equal(blasThreadsFor(planOf(wide()), { PRETRAIN_BLAS_THREADS: 'lots' }, 2), 2, 'an unreadable value is ignored');
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
