// The quality bench's pipeline is the quality config (4 layers, d 128, 4
// heads, ctx 128, batch 32, LayerNorm + GELU, AdamW 3e-3 -> 3e-4 cosine, clip 1, Brown bytes,
// eval at each fifth), and its curve reading finds the first eval at or below the target.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compile } from '../engine/compiler/compile';
import { modelConfigOf } from '../engine/nodes/model';
import { qualityCurve, qualityPipeline } from './quality';

test('the quality pipeline compiles to the quality config with an eval at each fifth', () => {
  const compiled = compile(qualityPipeline(2000));
  assert.ok(compiled.ok);
  const params = (kind: string) => compiled.plan.nodes.find((n) => n.kind === kind)!.params as Record<string, unknown>;
  const model = modelConfigOf({ params: params('model') }).config!;
  assert.deepEqual([model.nLayers, model.dModel, model.nHeads, model.contextLength, model.norm, model.ffn], [4, 128, 4, 128, 'layernorm', 'gelu']);
  assert.equal(params('get_batch').batch_size, 32);
  assert.deepEqual([params('scheduler').lr, params('scheduler').min_lr, params('scheduler').kind], [3e-3, 3e-4, 'cosine']);
  assert.equal(params('clip').max_norm, 1);
  assert.deepEqual([params('eval').every, params('eval').batches], [400, 50]);
  assert.equal(400 % (params('log').every as number), 0, 'every eval step has a log line');
  assert.equal(compiled.plan.totalSteps, 2000);
  assert.equal((compile(qualityPipeline(10)) as { ok: boolean }).ok, true, 'short runs for a smoke test compile too');
});

test('time to target: the elapsed time of the first eval at or below it; null if never', () => {
  const lines = [
    { step: 50, elapsed_s: 5 },
    { step: 400, elapsed_s: 40, val_loss: 2.1 },
    { step: 800, elapsed_s: 80, val_loss: 1.7 },
    { step: 1200, elapsed_s: 120, val_loss: 1.6 },
    { step: 1600, elapsed_s: 160, val_loss: 1.55 },
  ];
  const curve = qualityCurve('node', lines, 1.6);
  assert.equal(curve.secondsToTarget, 120);
  assert.deepEqual(
    curve.evals.map((e) => e.step),
    [400, 800, 1200, 1600],
  );
  assert.equal(curve.wallS, 160);
  assert.equal(qualityCurve('torch', lines, 1.5).secondsToTarget, null);
});
