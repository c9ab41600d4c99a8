// checkGpuFit: the seed pipeline fits a default WebGPU device; a GPT-2-vocabulary model with a big
// batch does not, and the message names the node, the tensor and the limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { compile } from '../compiler/compile';
import type { Plan } from '../plan';
import { checkGpuFit, formatBytes, largestTensors } from './gpu-fit';

const SEED = JSON.parse(readFileSync(new URL('../../pipelines/seed.json', import.meta.url), 'utf8'));
/** WebGPU's default limits (what a device gets unless it asks for more). */
const DEFAULTS = { maxStorageBufferBindingSize: 128 * 2 ** 20, maxBufferSize: 256 * 2 ** 20, maxComputeWorkgroupsPerDimension: 65535 };

function planWith(edit: (nodes: Record<string, Record<string, unknown>>) => void): Plan {
  const doc = structuredClone(SEED);
  edit(Object.fromEntries(doc.nodes.map((n: { id: string; params: Record<string, unknown> }) => [n.id, n.params])));
  const compiled = compile(doc);
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.diagnostics));
  return compiled.plan;
}

test('the seed pipeline fits; its largest tensor is the feed-forward hidden state', () => {
  const plan = planWith(() => {});
  assert.deepEqual(checkGpuFit(plan, DEFAULTS), []);
  const tensors = largestTensors(plan);
  // B*T = 16*64 rows of d_ff = 512 floats: 2 MiB, for the training batch and the eval batch alike.
  assert.deepEqual(
    tensors.slice(0, 2).map((t) => [t.what, t.shape, t.bytes, t.blame.nodeId]),
    [
      ['feed-forward hidden [B*T, d_ff]', [1024, 512], 2 * 2 ** 20, 'get_batch'],
      ['feed-forward hidden [B*T, d_ff]', [1024, 512], 2 * 2 ** 20, 'eval'],
    ],
  );
  const logits = tensors.find((t) => t.what.startsWith('logits'))!;
  assert.deepEqual([logits.shape, logits.bytes], [[16, 64, 256], 2 ** 20]);
});

test('GPT-2 vocabulary with batch 16 x 256: the logits break maxStorageBufferBindingSize, blamed on get_batch', () => {
  const plan = planWith((n) => {
    Object.assign(n.model, { vocab_size: 50257, context_length: 256 });
    Object.assign(n.get_batch, { context_length: 256 });
    Object.assign(n.eval, { batch_size: 1 });
  });
  const problems = checkGpuFit(plan, DEFAULTS);
  assert.equal(problems.length, 1, JSON.stringify(problems));
  const [p] = problems;
  assert.equal(p.nodeId, 'get_batch');
  assert.equal(p.field, 'batch_size');
  // 16*256*50257*4 bytes; at most floor(128 MiB / (256*50257*4)) = 2 sequences fit.
  assert.match(
    p.message,
    /^model: logits \[B, T, V\] \[16,256,50257\] in float32 is 823\.4 MB, over this GPU's maxStorageBufferBindingSize of 128 MiB; lower get_batch\.batch_size to 2 or less/,
  );
});

test('eval batches and weights are checked too, each blamed on its own field', () => {
  const plan = planWith((n) => {
    Object.assign(n.model, { vocab_size: 65_535, d_model: 1024, n_heads: 8 });
    Object.assign(n.get_batch, { batch_size: 1 });
    Object.assign(n.eval, { batch_size: 64 });
  });
  const small = { ...DEFAULTS, maxStorageBufferBindingSize: 64 * 2 ** 20 };
  const byField = Object.fromEntries(checkGpuFit(plan, small).map((p) => [`${p.nodeId}.${p.field}`, p.message]));
  assert.deepEqual(Object.keys(byField).sort(), ['eval.batch_size', 'model.vocab_size']);
  assert.match(
    byField['model.vocab_size'],
    /token embedding \[vocab_size, d_model\] \[65535,1024\] in float32 is 268\.4 MB, over .* 64 MiB; make model\.vocab_size smaller/,
  );
  assert.match(byField['eval.batch_size'], /lower eval\.batch_size to 4 or less/); // floor(64 MiB / (64*65535*4 B per sequence))
});

test('maxBufferSize is the limit when it is the smaller one; workgroup counts are checked', () => {
  const plan = planWith(() => {});
  const problems = checkGpuFit(plan, { maxStorageBufferBindingSize: 2 ** 30, maxBufferSize: 2 ** 19, maxComputeWorkgroupsPerDimension: 16 });
  assert.ok(
    problems.some((p) => /maxBufferSize of 524\.3 kB/.test(p.message)),
    JSON.stringify(problems),
  );
  // 16*64 rows / 32 = 32 workgroups > 16; 16*4 = 64 attention matmuls > 16: both on get_batch, reported once.
  assert.ok(checkGpuFit(plan, { ...DEFAULTS, maxComputeWorkgroupsPerDimension: 16 }).some((p) => /need 32 workgroups along one axis/.test(p.message)));
});

test('formatBytes', () => {
  assert.equal(formatBytes(128 * 2 ** 20), '128 MiB');
  assert.equal(formatBytes(2 ** 30), '1 GiB');
  assert.equal(formatBytes(823_529_472), '823.5 MB');
  assert.equal(formatBytes(999), '999 B');
});
