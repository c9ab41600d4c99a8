import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ratioLines, type SummaryRow } from './summary';

const row = (config: string, executor: string, threads: number, tokensPerSec: number, kind: 'engine' | 'torch' = 'engine'): SummaryRow => ({
  config,
  executor,
  kind,
  kernels: /\[(.+)\]/.exec(executor)?.[1],
  threads,
  status: 'ok',
  tokensPerSec,
});

test('engine GEMM peaks are divided by torch under the same kernels only', () => {
  const lines = ratioLines([], {
    'torch 1t [Haswell]': { gflops: 108 },
    'torch 1t [SkylakeX]': { gflops: 196 },
    'engine wasm [Haswell]': { gflops: 104.2 },
    'engine wasm [SkylakeX]': { gflops: 191.4 },
    'engine wasm XNNPACK': { gflops: 38.6 },
  });
  assert.deepEqual(lines, [
    'GEMM peak, engine ÷ torch 1t, Haswell kernels: 0.96 (104.2 / 108.0 GFLOP/s)',
    'GEMM peak, engine ÷ torch 1t, SkylakeX kernels: 0.98 (191.4 / 196.0 GFLOP/s)',
  ]);
});

test('a threaded row is divided by the same executor on one thread with the same kernels', () => {
  const rows = [
    row('M', 'torch 1t [SkylakeX]', 1, 645, 'torch'),
    row('M', 'torch 2t [SkylakeX]', 2, 445, 'torch'),
    row('M', 'engine wasm [Haswell]', 1, 473),
    row('M', 'engine wasm [SkylakeX]', 1, 785),
    row('M', 'engine wasm 2t [SkylakeX]', 2, 1111),
    row('M', 'engine wasm 2t, wasm threads [SkylakeX]', 2, 960),
    row('R', 'engine wasm 2t [SkylakeX]', 2, 19845),
    { ...row('R', 'engine wasm [SkylakeX]', 1, 27594), status: 'failed' },
  ];
  assert.deepEqual(ratioLines(rows, {}), [
    'M, torch 2t [SkylakeX] ÷ torch 1t [SkylakeX]: 0.69',
    'M, engine wasm 2t [SkylakeX] ÷ engine wasm [SkylakeX]: 1.42',
    'M, engine wasm 2t, wasm threads [SkylakeX] ÷ engine wasm [SkylakeX]: 1.22',
  ]);
});
