// Block faces during a run: per-kind numbers from real-shaped node reports, and the formatters.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatBytes, formatCount, formatDuration, formatMs, formatValue, liveDisplay } from './live-view';
import type { NodeLive } from './run-stream';

const node = (metrics: Record<string, number>, series: Record<string, number[]> = {}, extra: Partial<NodeLive> = {}): NodeLive => ({
  metrics,
  series: Object.fromEntries(Object.entries(series).map(([k, values]) => [k, { steps: values.map((_, i) => i + 1), values }])),
  notices: [],
  ...extra,
});
const ctx = { runId: '0mx12bdyhkuvf' };
const texts = (d: ReturnType<typeof liveDisplay>) => d!.metrics.map((m) => `${m.label} ${m.text}`);

test('formatters', () => {
  assert.equal(formatCount(18528), '18.5k');
  assert.equal(formatCount(5379926), '5.38M');
  assert.equal(formatCount(999), '999');
  assert.equal(formatCount(999_600), '1M');
  assert.equal(formatBytes(226528), '227 kB');
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatValue(2.31749), '2.317');
  assert.equal(formatValue(0.002), '2.000e-3');
  assert.equal(formatValue(0), '0');
  assert.equal(formatMs(0.4789), '0.48 ms');
  assert.equal(formatMs(24.44), '24.4 ms');
  assert.equal(formatDuration(220), '3m 40s');
  assert.equal(formatDuration(3725), '1h 02m');
  assert.equal(formatDuration(4.26), '4.3s');
});

test('each kind shows its own numbers', () => {
  assert.deepEqual(texts(liveDisplay('dataset', node({ train_tokens: 5379926, valid_tokens: 601082, max_id: 125 }), ctx, {})), ['train 5.38M', 'valid 601k']);
  assert.deepEqual(texts(liveDisplay('model', node({ parameters: 18528, ms: 1.6 }), ctx, {})), ['params 18.5k', 'fwd 1.6 ms']);
  const loss = liveDisplay('loss', node({ loss: 3.1375, ms: 0.5 }, { loss: [5.5, 4.2, 3.1375] }), ctx, {})!;
  assert.deepEqual(texts(loss), ['loss 3.138']);
  assert.deepEqual(loss.spark, { label: 'loss', values: [5.5, 4.2, 3.1375] });
  const clip = liveDisplay('clip', node({ grad_norm: 0.86, clipped: 0 }, { grad_norm: [1.3, 2.1, 0.86], clipped: [1, 1, 0, 0] }), ctx, {});
  assert.deepEqual(texts(clip), ['grad norm 0.86', 'clipped 50%']);
  assert.deepEqual(texts(liveDisplay('scheduler', node({ lr: 0.00988 }), ctx, {})), ['lr 9.880e-3']);
  assert.deepEqual(texts(liveDisplay('optimizer', node({ lr: 0.01, ms: 0.004, update_ratio: 0.0012 }), ctx, {})), [
    'lr 0.01',
    'upd/param 1.200e-3',
    'time <0.01 ms',
  ]);
  assert.deepEqual(texts(liveDisplay('eval', node({ val_loss: 3.3214, ms: 0.003 }), ctx, {})), ['val loss 3.321']);
  assert.deepEqual(texts(liveDisplay('log', node({ lines: 10 }), ctx, {})), ['lines 10']);
  // get_batch: the run's token rate over its batch size.
  const batch = liveDisplay('get_batch', node({ ms: 0.13 }), { ...ctx, tokensPerSec: [1000, 2560] }, { batch_size: 4, context_length: 16 })!;
  assert.deepEqual(texts(batch), ['batches/s 40', 'time 0.13 ms']);
  assert.deepEqual(batch.spark?.values, [15.625, 40]);
});

test('checkpoint link, sample text, errors and notices', () => {
  const ckpt = liveDisplay('checkpoint', node({ bytes: 226528 }, {}, { checkpoint: { name: 'ckpt-000010', bytes: 226528, step: 10 } }), ctx, {})!;
  assert.equal(ckpt.checkpoint?.href, '/api/runs/0mx12bdyhkuvf/checkpoints/ckpt-000010');
  const sample = liveDisplay('sample', node({}, {}, { sample: { text: 'The aeih', tokens: 16, step: 10 } }), ctx, {})!;
  assert.deepEqual(sample.sample, { text: 'The aeih', step: 10 });
  const failed = liveDisplay('loss', node({}, {}, { error: { message: 'loss is NaN', step: 3 }, notices: ['W&B disabled'] }), ctx, {})!;
  assert.deepEqual(failed.error, { message: 'loss is NaN' });
  assert.deepEqual(failed.notices, ['W&B disabled']);
  assert.equal(liveDisplay('loss', undefined, ctx, {}), null);
  // Unknown kinds: first numbers, then ms.
  assert.deepEqual(texts(liveDisplay('custom', node({ ms: 2, foo: 1.5, bar: 2, baz: 3 }), ctx, {})), ['foo 1.5', 'bar 2', 'time 2.0 ms']);
});
