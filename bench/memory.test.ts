// Memory checks (bench/memory.ts) as tests: 1,000 steps keep the live tensor and buffer counts flat,
// and a 2 GB ids file trains with a peak RSS under 1 GB (windowed reads). The variant without
// meta.json (a full scan for the largest id, ~20 s) runs only in `npm run bench:memory`. The memory
// estimate is within 25% of the measured peak on R and S4 (M, 1.4 GB, only in `npm run bench:memory`),
// or within 16 MB: the peak RSS of a small config moves by up to ~15 MB from one run to the next, so
// each config trains twice and the larger peak counts (the estimate has to cover the peak).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bigFileRss, estimateVsMeasured, tensorsStayFlat } from './memory';

test('1,000 training steps keep tf.memory().numTensors and the backend buffers flat', async () => {
  const r = await tensorsStayFlat(1000);
  assert.equal(r.status, 'completed');
  assert.equal(r.steps, 1000);
  assert.equal(r.tensors.min, r.tensors.max, `numTensors moved: ${JSON.stringify(r.tensors)}`);
  assert.equal(r.tensors.last, r.tensors.afterWarmup);
  assert.equal(r.buffers.last, r.buffers.afterWarmup, `backend buffers moved: ${JSON.stringify(r.buffers)}`);
});

test('a 2 GB ids file trains through nodeIO with a peak RSS under 1 GB', () => {
  const r = bigFileRss(2, 10, true);
  assert.equal(r.status, 'completed');
  assert.equal(r.steps, 10);
  assert.ok(r.peakRssMb < 1024, `peak RSS ${r.peakRssMb.toFixed(0)} MB`);
});

test('the memory estimate is within 25% (or 16 MB) of the peak RSS of R and S4 trained in a child process', () => {
  for (const row of estimateVsMeasured(['R', 'S4'])) {
    assert.equal(row.status, 'completed');
    const slack = Math.max(0.25 * row.peakAboveBaselineMb, 16);
    assert.ok(
      Math.abs(row.estimateMb - row.peakAboveBaselineMb) <= slack,
      `${row.config}: estimate ${row.estimateMb} MB, measured ${row.peakAboveBaselineMb} MB`,
    );
  }
});
