// TorchEventConverter: the files of an exported run become valid RunEvents, each reported once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RunEvent } from '../../events';
import { TorchEventConverter, type TorchStatus } from './events';

const config = {
  model: { node_id: 'gpt' },
  eval: { node_id: 'eval#1', split: 'valid', every: 5, batches: 3, batch_size: 4, context_length: 16, seed: 42, after_update: true },
  checkpoint: { node_id: 'ckpt', every: 5, keep_last: 2, at_end: true },
} as const;

const status = (s: Partial<TorchStatus>): TorchStatus => ({
  state: 'running',
  step: 0,
  start_step: 0,
  total_steps: 10,
  last_checkpoint: null,
  parameters: 1234,
  tokens_per_step: 64,
  world_size: 2,
  device: 'cuda',
  checkpoint: null,
  error: null,
  elapsed_s: 1.5,
  ...s,
});

test('a log line is a step event, plus an eval event when it carries val_loss', () => {
  const conv = new TorchEventConverter(config);
  const line = { step: 5, loss: 2.5, tokens_per_sec: 1000, step_ms: 12, elapsed_s: 3, lr: 0.001, grad_norm: 0.4, val_loss: 2.7 };
  const events = conv.logLine(JSON.stringify(line));
  assert.deepEqual(events, [
    { type: 'step', step: 5, data: { loss: 2.5, tokens_per_sec: 1000, step_ms: 12, elapsed_s: 3, lr: 0.001, grad_norm: 0.4 } },
    { type: 'eval', nodeId: 'eval#1', step: 5, data: { val_loss: 2.7, batches: 3 } },
  ]);
  assert.deepEqual(conv.logLine('{"step": 6, "loss": 2.4'), [], 'a torn line is dropped');
  assert.deepEqual(conv.logLine('{"step": "six"}'), [], 'a line that breaks the contract is dropped');
  assert.deepEqual(conv.sampleLine(JSON.stringify({ step: 5, node: 'sample', text: 'The cat', tokens: 4 })), [
    { type: 'sample', nodeId: 'sample', step: 5, data: { text: 'The cat', tokens: 4 } },
  ]);
});

test("an insides.jsonl line is the model node's model/insides event; a malformed one is dropped", () => {
  const conv = new TorchEventConverter(config);
  const blocks = { attn: { act_rms: [0.5, 0.25], grad_norm: [0.1, null], attn_entropy: [2.1, 2] }, lm_head: { act_rms: [1.5] } };
  assert.deepEqual(conv.insidesLine(JSON.stringify({ step: 20, layers: 2, blocks })), [
    { type: 'model/insides', nodeId: 'gpt', step: 20, data: { layers: 2, blocks } },
  ]);
  assert.deepEqual(conv.insidesLine(JSON.stringify({ step: 20, layers: 2, blocks: { attn: { act_rms: ['x'] } } })), [], 'not a number');
  assert.deepEqual(conv.insidesLine(JSON.stringify({ step: 20, blocks })), [], 'no layers');
  assert.deepEqual(conv.insidesLine('{"step": 20, "layers": 2, "blo'), [], 'a torn line');
});

test('status.json: started once, each checkpoint once, then error and finished', () => {
  const conv = new TorchEventConverter(config);
  assert.deepEqual(conv.status(status({ step: 3, start_step: 3, resumed_from: 'ckpt-000003', last_checkpoint: 'ckpt-000003' })), [
    { type: 'run/started', step: 3, data: { totalSteps: 10, backend: 'torch-cudax2', parameters: 1234, tokensPerStep: 64, resumedFrom: 'ckpt-000003' } },
  ]);
  assert.deepEqual(conv.status(status({ step: 4 })), []);
  const saved = { name: 'ckpt-000005', step: 5, bytes: 100, removed: ['ckpt-000003'] };
  assert.deepEqual(conv.status(status({ step: 5, checkpoint: saved })), [
    { type: 'checkpoint/saved', nodeId: 'ckpt', step: 5, data: { name: 'ckpt-000005', bytes: 100, removed: ['ckpt-000003'] } },
  ]);
  assert.deepEqual(conv.status(status({ step: 6, checkpoint: saved })), []);
  const failed = conv.status(
    status({ state: 'failed', step: 7, checkpoint: saved, last_checkpoint: 'ckpt-000005', error: { message: 'loss is NaN', node_id: 'loss' } }),
  );
  assert.deepEqual(failed, [
    { type: 'error', nodeId: 'loss', step: 7, data: { message: 'loss is NaN' } },
    { type: 'run/finished', step: 7, data: { status: 'failed', elapsed_s: 1.5, lastCheckpoint: 'ckpt-000005' } },
  ]);
  assert.deepEqual(conv.status(status({ state: 'failed', step: 7 })), []);
  assert.deepEqual(conv.finish('failed', 7), [], 'finished once');
  for (const e of failed) assert.ok(RunEvent.safeParse(e).success);
});

test('a run that fails before setup never starts; finish() closes a run that died silently', () => {
  const conv = new TorchEventConverter(config);
  const early = conv.status({ state: 'failed', step: 0, start_step: 0, total_steps: 10, last_checkpoint: null, error: { message: 'no data', node_id: null } });
  assert.deepEqual(
    early.map((e) => e.type),
    ['error', 'run/finished'],
  );
  assert.equal('nodeId' in early[0], false);

  const killed = new TorchEventConverter(config);
  killed.status(status({ step: 2 }));
  assert.deepEqual(killed.finish('stopped', 2), [{ type: 'run/finished', step: 2, data: { status: 'stopped', elapsed_s: 0 } }]);
  assert.equal(killed.done, true);
});
