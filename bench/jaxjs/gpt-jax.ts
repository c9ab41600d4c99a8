// The engine's GPT (RoPE, pre-norm, LayerNorm or RMSNorm, GELU-tanh or SwiGLU, tied or untied head)
// written in jax-js, with an AdamW step, for the engine study in docs/engine-choice.md. Same maths,
// parameter names and layout ([in, out] weights, half-split RoPE) as engine/model/gpt.ts, so both can
// start from the same weights and read the same batches. Runs wherever jax-js runs (Node wasm,
// Chromium wasm and WebGPU); it has no Node or DOM imports.
//
// jax-js counts references: every function takes ownership of its array arguments, `.ref` adds one.
// Params are read through `use()` (one reference per read) and released at the end of the forward.
import { jit, nn, numpy as np, valueAndGrad } from '@jax-js/jax';
import type { GptConfig } from '../../engine/model/config';
import { ropeTables } from '../../engine/model/layers';

export type JaxParams = Record<string, np.Array>;

/** AdamW settings as the engine's OptimizerConfig names them (decoupled decay on rank-2 params only). */
export interface AdamW {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

const EPS = 1e-5;

function norm(c: GptConfig, x: np.Array, use: (name: string) => np.Array, prefix: string): np.Array {
  if (c.norm === 'rmsnorm') {
    const ms = np.mean(np.square(x.ref), -1, { keepdims: true });
    return x.mul(np.reciprocal(np.sqrt(ms.add(EPS)))).mul(use(`${prefix}.weight`));
  }
  const centred = x.sub(np.mean(x.ref, -1, { keepdims: true }));
  const variance = np.mean(np.square(centred.ref), -1, { keepdims: true });
  return centred
    .mul(np.reciprocal(np.sqrt(variance.add(EPS))))
    .mul(use(`${prefix}.weight`))
    .add(use(`${prefix}.bias`));
}

/** x [..., hs] * cos + rotate_half(x) * sin, with rotate_half(x) = concat(-x2, x1). */
function rope(x: np.Array, cos: np.Array, sin: np.Array): np.Array {
  const [x1, x2] = np.split(x.ref, 2, -1);
  const rotated = np.concatenate([x2.neg(), x1], -1);
  return x.mul(cos).add(rotated.mul(sin));
}

function attention(c: GptConfig, h: np.Array, use: (name: string) => np.Array, b: string, tables: Tables, B: number, T: number): np.Array {
  const hs = c.dModel / c.nHeads;
  const heads = (w: string) => np.matmul(h.ref, use(`${b}.attn.${w}`)).reshape([B, T, c.nHeads, hs]);
  const q = rope(heads('wq'), tables.cos.ref, tables.sin.ref);
  const k = rope(heads('wk'), tables.cos.ref, tables.sin.ref);
  const v = heads('wv');
  h.dispose();
  // Written out rather than nn.dotProductAttention, whose einsum needs iterator helpers (Node 22+).
  const byHead = (a: np.Array) => a.transpose([0, 2, 1, 3]); // [B, T, nH, hs] -> [B, nH, T, hs]
  const scores = np
    .matmul(byHead(q), k.transpose([0, 2, 3, 1]))
    .mul(1 / Math.sqrt(hs))
    .add(tables.mask.ref); // [B, nH, T, T]
  const y = np.matmul(nn.softmax(scores, -1), byHead(v)); // [B, nH, T, hs]
  return np.matmul(y.transpose([0, 2, 1, 3]).reshape([B * T, c.dModel]), use(`${b}.attn.wo`));
}

function ffn(c: GptConfig, h: np.Array, use: (name: string) => np.Array, b: string): np.Array {
  if (c.ffn === 'swiglu') {
    const gate = nn.silu(np.matmul(h.ref, use(`${b}.ffn.w1`)));
    return np.matmul(gate.mul(np.matmul(h, use(`${b}.ffn.w3`))), use(`${b}.ffn.w2`));
  }
  return np.matmul(nn.gelu(np.matmul(h, use(`${b}.ffn.w1`)), { approximate: true }), use(`${b}.ffn.w2`));
}

/** Mean cross-entropy of next-token logits; x, y int32 [B, T]. Takes ownership of every argument. */
export function gptLoss(c: GptConfig, p: JaxParams, x: np.Array, y: np.Array, tables: Tables): np.Array {
  const [B, T] = x.shape;
  const use = (name: string) => p[name].ref;
  // Gathers as one-hot products: under jit, jax-js 0.1.25 cannot differentiate take (a scatter).
  let h = np.matmul(nn.oneHot(x.reshape([B * T]), c.vocabSize), use('wte')); // [B*T, V] @ [V, C]
  for (let i = 0; i < c.nLayers; i++) {
    const b = `blocks.${i}`;
    h = h.ref.add(attention(c, norm(c, h, use, `${b}.norm1`), use, b, tables, B, T));
    h = h.ref.add(ffn(c, norm(c, h, use, `${b}.norm2`), use, b));
  }
  h = norm(c, h, use, 'norm_f');
  const logits = c.tieEmbeddings ? np.matmul(h, use('wte').transpose()) : np.matmul(h, use('lm_head'));
  const logp = nn.logSoftmax(logits, -1); // [B*T, V]
  const picked = logp.mul(nn.oneHot(y.reshape([B * T]), c.vocabSize)).sum(-1); // log p of each target
  for (const a of Object.values(p)) a.dispose();
  for (const a of Object.values(tables)) a.dispose();
  return picked.mean().neg();
}

/** RoPE tables [T, 1, hs] (for q and k laid out [B, T, nH, hs]) and the additive causal mask [T, T]. */
export type Tables = {
  cos: np.Array;
  sin: np.Array;
  mask: np.Array;
};

export function attentionTables(c: GptConfig): Tables {
  const T = c.contextLength;
  const hs = c.dModel / c.nHeads;
  const { cos, sin } = ropeTables(T, hs, c.ropeTheta);
  const mask = new Float32Array(T * T);
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) mask[i * T + j] = -1e9;
  return { cos: np.array(cos).reshape([T, 1, hs]), sin: np.array(sin).reshape([T, 1, hs]), mask: np.array(mask).reshape([T, T]) };
}

// Type aliases, not interfaces: jax-js's JsTree typing accepts only aliases.
type TrainState = {
  params: JaxParams;
  m: JaxParams;
  v: JaxParams;
};

/**
 * One jitted AdamW training step: returns [loss, new state]. `corr` holds [1/(1-β1^t), 1/(1-β2^t)]
 * so one trace serves every step. Takes ownership of the state, x, y and corr.
 */
export function makeTrainStep(c: GptConfig, opt: AdamW, ranks: Record<string, number>) {
  const lossOf = (p: JaxParams, x: np.Array, y: np.Array, tables: Tables) => gptLoss(c, p, x, y, tables);
  const lossAndGrad = valueAndGrad(lossOf);
  return jit((s: TrainState, x: np.Array, y: np.Array, tables: Tables, corr: np.Array) => {
    const borrowed = Object.fromEntries(Object.entries(s.params).map(([k, a]) => [k, a.ref]));
    const [loss, grads] = lossAndGrad(borrowed, x, y, tables);
    const [c1, c2] = [corr.ref.slice(0), corr.slice(1)];
    const next: TrainState = { params: {}, m: {}, v: {} };
    for (const name of Object.keys(grads)) {
      const g = grads[name];
      const m = s.m[name].mul(opt.beta1).add(g.ref.mul(1 - opt.beta1));
      const v = s.v[name].mul(opt.beta2).add(np.square(g).mul(1 - opt.beta2));
      const update = m.ref.mul(c1.ref).div(np.sqrt(v.ref.mul(c2.ref)).add(opt.eps));
      const decay = ranks[name] >= 2 ? 1 - opt.lr * opt.weightDecay : 1;
      next.params[name] = s.params[name].ref.mul(decay).sub(update.mul(opt.lr));
      next.m[name] = m;
      next.v[name] = v;
    }
    for (const a of Object.values(s.params)) a.dispose();
    c1.dispose();
    c2.dispose();
    return [loss, next] as [np.Array, TrainState];
  });
}
