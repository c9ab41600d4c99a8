// The memory estimate against values computed by hand for a tiny model (see each comment).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compile } from '../compiler/compile';
import { optimizerStateFloats } from '../optim/kinds';
import { estimateMemory, formatBytes } from './estimate';
import { overBudgetProblems } from './over-budget';

const node = (id: string, params: Record<string, unknown>) => ({ id, type: id.replace(/#.*/, ''), params, position: { x: 0, y: 0 } });
const edge = (s: string, sh: string, t: string, th: string) => ({ id: `${s}.${sh}->${t}.${th}`, source: s, sourceHandle: sh, target: t, targetHandle: th });

/** V16 C8 L1 H2 F16 SwiGLU, tied; B2 T4; AdamW unless told otherwise. */
function tinyPlan(
  over: {
    model?: object;
    batch?: object;
    optimizer?: object;
    backward?: object;
    extra?: ReturnType<typeof node>[];
    extraEdges?: ReturnType<typeof edge>[];
  } = {},
) {
  const doc = {
    version: 1,
    meta: { name: 'tiny' },
    training: { steps: 2, seed: 1 },
    nodes: [
      node('dataset', { source: 'files' }),
      node('get_batch', { batch_size: 2, context_length: 4, ...over.batch }),
      node('model', { vocab_size: 16, context_length: 4, d_model: 8, n_layers: 1, n_heads: 2, d_ff: 16, ffn: 'swiglu', ...over.model }),
      node('loss', {}),
      node('backward', { ...over.backward }),
      node('optimizer', { kind: 'adamw', ...over.optimizer }),
      ...(over.extra ?? []),
    ],
    edges: [
      edge('dataset', 'train', 'get_batch', 'tokens'),
      edge('get_batch', 'x', 'model', 'x'),
      edge('model', 'logits', 'loss', 'logits'),
      edge('get_batch', 'y', 'loss', 'targets'),
      edge('loss', 'loss', 'backward', 'loss'),
      edge('backward', 'grads', 'optimizer', 'grads'),
      edge('model', 'model', 'optimizer', 'model'),
      ...(over.extraEdges ?? []),
    ],
  };
  const compiled = compile(doc);
  assert.ok(compiled.ok, JSON.stringify(compiled.diagnostics));
  return compiled.plan;
}

test('the tiny model on tfjs: every part computed by hand', () => {
  const e = estimateMemory(tinyPlan(), 'node')!;
  // wte 16*8 = 128; block: norms 8 + 8, wq/wk/wv/wo 4*64 = 256, w1/w2/w3 3*128 = 384; norm_f 8 -> 792
  assert.equal(e.parameters, 792);
  assert.equal(e.bytes.weights, 792 * 4);
  assert.equal(e.bytes.optimizer, 2 * 792 * 4); // AdamW: m and v
  assert.equal(e.bytes.gradients, 792 * 4 + 2 * 16 * 8 * 4); // + the tied head's transposed wte and its gradient
  // per token: 25.5 C + 4.5 F = 204 + 72 = 276, 8 tokens -> 2208; scores 2 * B2 * H2 * 4 * 4 = 128; logits 8 * 3 * 16 = 384
  assert.equal(e.bytes.activations, (2208 + 128 + 384) * 4);
  assert.equal(e.bytes.total, 3168 + 6336 + 4192 + 10880 + 16e6);
  assert.equal(e.nodes.get_batch.bytes, 10880);
  assert.deepEqual(e.nodes.get_batch.fields, ['context_length', 'batch_size']);
  assert.equal(e.nodes.model.bytes, 3168 + 6336 + 4192);
  assert.ok(e.nodes.model.fields.includes('d_model') && e.nodes.model.fields.includes('vocab_size'));
});

test('optimizer state per kind, and gradient accumulation keeps a running sum', () => {
  const matrix = [{ name: 'blocks.0.attn.wq', shape: [4, 4] }];
  assert.equal(optimizerStateFloats({ kind: 'sgd', momentum: 0 }, matrix), 0);
  assert.equal(optimizerStateFloats({ kind: 'sgd', momentum: 0.9 }, matrix), 16);
  assert.equal(optimizerStateFloats({ kind: 'lion' }, matrix), 16);
  assert.equal(optimizerStateFloats({ kind: 'adagrad' }, matrix), 16);
  assert.equal(optimizerStateFloats({ kind: 'adamw' }, matrix), 32);
  // muon: one momentum buffer per hidden matrix, AdamW's m and v for the embedding and 1-D params
  assert.equal(optimizerStateFloats({ kind: 'muon' }, [...matrix, { name: 'wte', shape: [6, 4] }, { name: 'norm_f.weight', shape: [4] }]), 16 + 2 * 24 + 2 * 4);
  assert.throws(() => optimizerStateFloats({ kind: 'rmsprop' }, matrix), /unknown kind rmsprop/);
  // the tiny model: hidden matrices 4 * 64 + 3 * 128 = 640 (one slot); wte 128 and the norms 24 (two)
  assert.equal(estimateMemory(tinyPlan({ optimizer: { kind: 'muon' } }))!.bytes.optimizer, (640 + 2 * (128 + 24)) * 4);
  assert.equal(estimateMemory(tinyPlan({ optimizer: { kind: 'sgd', momentum: 0 } }))!.bytes.optimizer, 0);
  assert.equal(estimateMemory(tinyPlan({ optimizer: { kind: 'lion' } }))!.bytes.optimizer, 792 * 4);
  assert.equal(estimateMemory(tinyPlan({ backward: { grad_accum_steps: 4 } }))!.bytes.gradients, 2 * 792 * 4 + 1024);
});

test('an untied GELU model: lm_head counted, no tied copies, F drives 3 floats per token', () => {
  const e = estimateMemory(tinyPlan({ model: { tie_embeddings: false, ffn: 'gelu' } }))!;
  // wte 128; block: norms 16, attention 256, w1/w2 2*128 = 256; norm_f 8; lm_head 128 -> 792
  assert.equal(e.parameters, 792);
  assert.equal(e.bytes.gradients, 792 * 4);
  // per token 25.5 * 8 + 3 * 16 = 252 -> 2016 for 8 tokens; scores 128; logits 384
  assert.equal(e.bytes.activations, (2016 + 128 + 384) * 4);
});

test('GQA + QK-norm + learned positions + relu²: parameters from the same list as the model, narrower k and v activations', () => {
  const e = estimateMemory(tinyPlan({ model: { n_kv_heads: 1, qk_norm: true, positions: 'learned', ffn: 'relu2' } }))!;
  // wte 128, wpe 4*8 = 32; block: norms 16, wq/wo 2*64, wk/wv 2 * 8*4 = 64, q_norm/k_norm 2*4, w1/w2 2*128; norm_f 8 -> 584
  assert.equal(e.parameters, 128 + 32 + 16 + 128 + 64 + 8 + 256 + 8);
  // width per token: (6 C + 5 q + 6 kv + q + kv) / 17 = (48 + 40 + 24 + 8 + 4) / 17; x 25.5 + 3 * 16, 8 tokens; scores 128; logits 384
  const perToken = 25.5 * (124 / 17) + 3 * 16;
  assert.ok(Math.abs(e.bytes.activations - (8 * perToken + 128 + 384) * 4) < 1e-6);
  // head_dim 8 with 2 heads: q is twice d_model wide
  const wide = estimateMemory(tinyPlan({ model: { head_dim: 8 } }))!;
  assert.equal(wide.parameters, 792 + 4 * 64); // every attention matrix doubles
  assert.ok(wide.bytes.activations > estimateMemory(tinyPlan())!.bytes.activations);
});

test('no block norms and fixed norms have no parameters', () => {
  assert.equal(estimateMemory(tinyPlan({ model: { norm_placement: 'none' } }))!.parameters, 792 - 16);
  assert.equal(estimateMemory(tinyPlan({ model: { norm_learnable: false } }))!.parameters, 792 - 24);
  assert.equal(estimateMemory(tinyPlan({ model: { final_norm: false, tie_embeddings: false } }))!.parameters, 792 - 8 + 128);
});

test('the attention scores grow with the square of the context', () => {
  const short = estimateMemory(tinyPlan({ batch: { context_length: 2 }, model: { context_length: 4 } }))!.bytes.activations;
  const long = estimateMemory(tinyPlan())!.bytes.activations;
  // T 2 -> 4: tokens double (2208 + 384 -> 2 * 1296), scores quadruple (32 -> 128)
  assert.equal(short, (1104 + 192 + 32) * 4);
  assert.equal(long, (2208 + 384 + 128) * 4);
});

test('eval runs between steps: a large eval batch sets the peak instead of adding to it', () => {
  const extra = [node('eval', { batch_size: 512, batches: 1 })];
  const extraEdges = [edge('optimizer', 'model', 'eval', 'model'), edge('dataset', 'valid', 'eval', 'data')];
  const e = estimateMemory(tinyPlan({ extra, extraEdges }))!;
  // B512 T4: per layer 2048 tokens * (17 * 8 + 3 * 16) + 2 * 512 * 2 * 16 = 376832 + 32768; logits and CE gradient 2 * 2048 * 16
  assert.equal(e.bytes.eval, (376832 + 32768 + 65536) * 4);
  assert.equal(e.bytes.total, 3168 + 6336 + e.bytes.eval + 16e6);
  assert.deepEqual(e.nodes.eval.fields, ['batch_size', 'context_length']);
});

test('torch keeps fewer activations and starts from a Python process', () => {
  const e = estimateMemory(tinyPlan(), 'torch')!;
  // per token 12 C + 4 F = 160, 8 tokens -> 1280; scores 3 * 2 * 2 * 16 = 192; logits 384
  assert.equal(e.bytes.activations, (1280 + 192 + 384) * 4);
  assert.equal(e.bytes.gradients, 792 * 4);
  assert.equal(e.bytes.runtime, 300e6);
});

test('the run the attack submitted (batch 4096 x context 65536) needs far more than any machine has', () => {
  const e = estimateMemory(tinyPlan({ batch: { batch_size: 4096, context_length: 65536 }, model: { context_length: 65536 } }))!;
  assert.ok(e.bytes.total > 1e14, formatBytes(e.bytes.total));
  assert.equal(e.nodes.get_batch.fields[0], 'context_length');
});

test('formatBytes', () => {
  assert.equal(formatBytes(999), '999 B');
  assert.equal(formatBytes(1.5e9), '1.50 GB');
  assert.equal(formatBytes(123456), '123 kB');
});

test('over a budget: one problem per node holding at least a tenth, largest first, naming the fields', () => {
  const plan = tinyPlan({ batch: { batch_size: 64 } });
  const e = estimateMemory(plan)!;
  assert.deepEqual(overBudgetProblems(plan, e, e.bytes.total, 'the budget'), []);
  const problems = overBudgetProblems(plan, e, 1e6, 'a budget of 1.00 MB');
  // 16 MB runtime share aside: activations (64 x 4 tokens) ~ 0.35 MB, weights and state ~ 14 kB (under a tenth: not named)
  assert.deepEqual(
    problems.map((p) => [p.nodeId, p.field]),
    [['get_batch', 'context_length']],
  );
  assert.match(
    problems[0].message,
    /^the run needs an estimated 16\.\d MB, over a budget of 1\.00 MB; one micro-batch's activations take [\d.]+ kB here: shrink context_length, batch_size$/,
  );
});
