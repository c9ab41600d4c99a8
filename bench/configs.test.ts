// The bench configs compile to valid pipelines whose models have the stated sizes, and the FLOP
// count follows its formula (checked by hand for R).
import { resolveGptConfig } from '../engine/model/config';
import { modelConfigOf } from '../engine/nodes/model';
import '../engine/node/tfjs'; // tfjs-core and its cpu backend, as Node sets them up
import { test } from 'node:test';
import { modelNumber } from '../engine/nodes/model';
import assert from 'node:assert/strict';
import { compile } from '../engine/compiler/compile';
import { Gpt } from '../engine/model/gpt';
import { BENCH_CONFIGS, benchPipeline, CONFIG_L, CONFIG_R, matmulParams, stepFlops } from './configs';

test('every bench config compiles to the standard loop with its model and batch', () => {
  for (const cfg of BENCH_CONFIGS) {
    const result = compile(benchPipeline(cfg, 7));
    assert.ok(result.ok, `${cfg.name}: ${JSON.stringify(!result.ok && result.diagnostics)}`);
    const model = result.plan.nodes.find((n) => n.kind === 'model')!;
    assert.equal(modelNumber(model, 'd_model'), cfg.model.dModel);
    assert.equal(result.plan.nodes.find((n) => n.kind === 'get_batch')!.params.batch_size, cfg.batch);
    assert.deepEqual(result.plan.nodes.map((n) => n.kind).sort(), [
      'backward',
      'clip',
      'dataset',
      'get_batch',
      'log',
      'loss',
      'model',
      'optimizer',
      'scheduler',
    ]);
  }
});

test('R has 427,264 parameters, 425,984 of them in matmuls, and 2.82 GFLOP per step', () => {
  const gpt = new Gpt(CONFIG_R, 1);
  assert.equal(gpt.parameterCount(), 427_264);
  gpt.dispose();
  // per block 4 C^2 + 2 C F = 196,608; two blocks; head C V = 32,768
  assert.equal(matmulParams(CONFIG_R), 2 * (4 * 128 * 128 + 2 * 128 * 512) + 128 * 256);
  // 6 N tokens + 12 L B T^2 C
  assert.equal(stepFlops(CONFIG_R, 16), 6 * 425_984 * 1024 + 12 * 2 * 16 * 64 * 64 * 128);
});

test('L (llama-style): GQA halves wk and wv, the head is untied, and the pipeline carries n_kv_heads', () => {
  const gpt = new Gpt(CONFIG_L, 1);
  assert.deepEqual(gpt.params.get('blocks.0.attn.wk')!.shape, [128, 64]);
  assert.ok(gpt.params.has('lm_head'));
  gpt.dispose();
  // per block: wq + wo 2 C^2, wk + wv 2 C (C / 2), SwiGLU 3 C F; two blocks; head C V
  assert.equal(matmulParams(CONFIG_L), 2 * (2 * 128 * 128 + 2 * 128 * 64 + 3 * 128 * 352) + 128 * 512);
  assert.equal(stepFlops(CONFIG_L, 16), 6 * matmulParams(CONFIG_L) * 1024 + 12 * 2 * 16 * 64 * 64 * 128);
  const result = compile(
    benchPipeline(
      BENCH_CONFIGS.find((c) => c.name === 'L')!,
      3,
    ),
  );
  assert.ok(result.ok);
  const config = resolveGptConfig(modelConfigOf(result.plan.nodes.find((n) => n.kind === 'model')!).config!);
  assert.deepEqual([config.nKvHeads, config.tieEmbeddings, config.positions], [2, false, 'rope']);
});
