// Building blocks of the GPT in gpt.ts, one function per concept so each can be tested alone:
// linear, RoPE, causal self-attention (MHA, GQA, MQA, QK-norm) and the feed-forward layer. The elementwise pieces with
// hand-written gradients (norms, GELU, SwiGLU, applyRope) live in engine/tf/ops and are
// re-exported here.
// The exact math (shared with the PyTorch exporter) is spelled out at the top of gpt.ts.
import * as tf from '@tensorflow/tfjs-core';
import { geluTanh } from '../tf/ops/gelu';
import { layerNorm, rmsNorm } from '../tf/ops/norms';
import { matMulExplicitGrad, matMulTransposedB } from '../tf/ops/matmulExplicitGrad';
import { applyRope, halfSwapMatrix } from '../tf/ops/rope';
import { swapMiddleAxes } from '../tf/ops/swapMiddleAxes';
import { swiglu } from '../tf/ops/swiglu';
import { transposeLast2 } from '../tf/ops/transposeLast2';
import { DEFAULT_NORM_EPS, type FfnKind } from './config';

export { applyRope, geluTanh, halfSwapMatrix, layerNorm, rmsNorm, swiglu };

/**
 * `x @ w` over the last axis, with a gradient that is fast on wasm (see engine/tf/ops/matmulExplicitGrad.ts).
 * @example
 *   linear(x, w1); // [B, T, C] @ [C, F] -> [B, T, F]
 */
export function linear(x: tf.Tensor, w: tf.Tensor2D): tf.Tensor {
  const [inDim, outDim] = w.shape;
  const lead = x.shape.slice(0, -1);
  const x2 = tf.reshape(x, [-1, inDim]); // [..., in] -> [N, in]
  return tf.reshape(matMulExplicitGrad(x2, w), [...lead, outDim]); // [N, out] -> [..., out]
}

/**
 * `x @ w^T` over the last axis for w [out, in], e.g. the tied LM head on the embedding table
 * (no transposed copy of w where a native GEMM runs the matmuls).
 * @example
 *   linearTransposed(h, wte); // [B, T, C] @ [V, C]^T -> [B, T, V]
 */
export function linearTransposed(x: tf.Tensor, w: tf.Tensor2D): tf.Tensor {
  const [outDim, inDim] = w.shape;
  const lead = x.shape.slice(0, -1);
  const x2 = tf.reshape(x, [-1, inDim]); // [..., in] -> [N, in]
  return tf.reshape(matMulTransposedB(x2, w), [...lead, outDim]); // [N, out] -> [..., out]
}

/**
 * RoPE cos/sin tables [T, hs] in the half-split ("rotate_half") layout: for channel c,
 * j = c mod hs/2 and angle = pos * theta^(-2j/hs). Computed in float64, rounded to float32 once.
 * @example
 *   const { cos, sin } = ropeTables(8, 4, 10000); // Float32Array(8 * 4) each
 */
export function ropeTables(T: number, hs: number, theta: number): { cos: Float32Array; sin: Float32Array } {
  const half = hs / 2;
  const cos = new Float32Array(T * hs);
  const sin = new Float32Array(T * hs);
  for (let pos = 0; pos < T; pos++) {
    for (let j = 0; j < half; j++) {
      const angle = pos * Math.pow(theta, (-2 * j) / hs);
      const c = Math.cos(angle);
      const s = Math.sin(angle);
      cos[pos * hs + j] = c;
      cos[pos * hs + half + j] = c;
      sin[pos * hs + j] = s;
      sin[pos * hs + half + j] = s;
    }
  }
  return { cos, sin };
}

/** `rotate_half(x) = concat(-x[..., hs/2:], x[..., :hs/2])`, the reference formulation. */
export function rotateHalf(x: tf.Tensor): tf.Tensor {
  const hs = x.shape[x.rank - 1];
  const [x1, x2] = tf.split(x, [hs / 2, hs / 2], -1);
  return tf.concat([tf.neg(x2), x1], -1);
}

/**
 * RoPE as written in the reference: `x * cos + rotate_half(x) * sin`, tables broadcast against x.
 * The model uses applyRope (same result, faster, see engine/tf/ops/rope.ts); this one is the
 * readable definition, checked against PyTorch in the tests.
 * @example
 *   rope(q, cos, sin); // [B, nH, T, hs], [T, hs], [T, hs] -> [B, nH, T, hs]
 */
export function rope(x: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.add(tf.mul(x, cos), tf.mul(rotateHalf(x), sin)));
}

/** RoPE tables of one attention call, all sliced to the current length T. */
export interface RopeConsts {
  cosQ: tf.Tensor; // [T, 1, hs] RoPE cos for queries, pre-multiplied by 1/sqrt(hs)
  sinQ: tf.Tensor; // [T, 1, hs] signed RoPE sin for queries, pre-multiplied by 1/sqrt(hs)
  cosK: tf.Tensor; // [T, 1, hs] RoPE cos for keys
  sinK: tf.Tensor; // [T, 1, hs] signed RoPE sin for keys
  swap: tf.Tensor2D; // [hs, hs] permutation exchanging the halves of a head (see applyRope)
}

/** Tensors of one attention call, all sliced to the current length T. */
export interface AttentionConsts {
  mask: tf.Tensor; // [T, T] additive causal mask: 0 on and below the diagonal, -1e9 above
  rope?: RopeConsts; // absent when positions are learned or absent: queries are then scaled by qScale
  qScale: number; // 1/sqrt(hs), folded into the query tables when there is RoPE
}

/**
 * Constant tensors for causal self-attention, built once per model and reused by every layer and
 * step: RoPE tables (in the [T, 1, hs] shape that broadcasts over [B, T, nH, hs]) and the causal
 * mask. The attention scale 1/sqrt(hs) is folded into the query tables, so scores need no extra op.
 * Without RoPE (`theta` null: learned or no positions) only the mask is built.
 * Owns its tensors (kept, so a caller's tidy cannot free them); call dispose() when done.
 */
export class AttentionTables {
  private readonly full: AttentionConsts;
  private readonly all: tf.Tensor[];

  constructor(
    readonly contextLength: number,
    readonly headSize: number,
    theta: number | null,
  ) {
    const T = contextLength;
    const mask = new Float32Array(T * T);
    for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) mask[i * T + j] = -1e9;
    const qScale = 1 / Math.sqrt(headSize);
    this.full = { mask: tf.tensor2d(mask, [T, T]), qScale, ...(theta === null ? {} : { rope: ropeConsts(T, headSize, theta, qScale) }) };
    this.all = [this.full.mask, ...Object.values(this.full.rope ?? {})].map((t) => tf.keep(t));
  }

  /** The tables for sequences of length T (the cached tensors themselves when T is the full context). */
  forLength(T: number): AttentionConsts {
    if (T === this.contextLength) return this.full;
    if (T < 1 || T > this.contextLength) throw new Error(`sequence length ${T} outside [1, ${this.contextLength}]`);
    const rows = (t: tf.Tensor) => tf.slice(t, 0, T);
    const r = this.full.rope;
    return {
      mask: tf.slice(this.full.mask, [0, 0], [T, T]),
      qScale: this.full.qScale,
      ...(r ? { rope: { cosQ: rows(r.cosQ), sinQ: rows(r.sinQ), cosK: rows(r.cosK), sinK: rows(r.sinK), swap: r.swap } } : {}),
    };
  }

  dispose(): void {
    for (const t of this.all) t.dispose();
  }
}

/** RoPE tables for queries (scaled by qScale) and keys, in the layout applyRope takes. */
function ropeConsts(T: number, hs: number, theta: number, qScale: number): RopeConsts {
  const { cos, sin } = ropeTables(T, hs, theta);
  const sinSigned = sin.slice();
  for (let pos = 0; pos < T; pos++) for (let j = 0; j < hs / 2; j++) sinSigned[pos * hs + j] *= -1;
  const scaled = (a: Float32Array) => a.map((v) => v * qScale);
  const shape: [number, number, number] = [T, 1, hs];
  return {
    cosQ: tf.tensor3d(scaled(cos), shape),
    sinQ: tf.tensor3d(scaled(sinSigned), shape),
    cosK: tf.tensor3d(cos, shape),
    sinK: tf.tensor3d(sinSigned, shape),
    swap: halfSwapMatrix(hs),
  };
}

/** How an attention layer splits its width into heads. */
export interface AttentionHeads {
  nHeads: number; // query heads (nH)
  nKvHeads: number; // key/value heads (nKv), dividing nH: each serves g = nH / nKv query heads (GQA; 1 is MQA)
  headDim: number; // width of one head (hs)
  normEps?: number; // epsilon of the QK-norm; default 1e-5
}

/** Weights of one attention layer, applied as x @ W. */
export interface AttentionWeights {
  wq: tf.Tensor2D; // [C, nH·hs]
  wk: tf.Tensor2D; // [C, nKv·hs]
  wv: tf.Tensor2D; // [C, nKv·hs]
  wo: tf.Tensor2D; // [nH·hs, C]
  qNorm?: tf.Tensor1D; // [hs] QK-norm gain on every query head (RMSNorm before RoPE)
  kNorm?: tf.Tensor1D; // [hs] QK-norm gain on every key head
}

/**
 * Multi-head causal self-attention with RoPE on queries and keys:
 * softmax(q k^T / sqrt(hs) + causal mask) v, heads merged, then @ wo.
 * Grouped-query attention without copies: the g query heads that share a key/value head are laid
 * out one after another, so one matmul over [B*nKv, g*T, hs] x [B*nKv, hs, T] serves them all
 * (query head h reads kv head floor(h / g), as repeat_interleave in the reference). With g = 1
 * this is plain multi-head attention over [B*nH, T, hs]. `seeWeights` (the inside view) is shown the
 * attention weights, one row per (batch, head, query).
 * @example
 *   causalSelfAttention(x, w, { nHeads: 4, nKvHeads: 2, headDim: 32 }, tables.forLength(T)); // [B, T, C] -> [B, T, C]
 */
export function causalSelfAttention(
  x: tf.Tensor3D,
  w: AttentionWeights,
  heads: AttentionHeads,
  consts: AttentionConsts,
  seeWeights?: (probs: tf.Tensor) => void,
): tf.Tensor3D {
  const [B, T, C] = x.shape;
  const { nHeads: nH, nKvHeads: nKv, headDim: hs } = heads;
  const g = nH / nKv;
  const x2 = tf.reshape(x, [B * T, C]); // [B, T, C] -> [B*T, C]
  const project = (wm: tf.Tensor2D, n: number) => tf.reshape(matMulExplicitGrad(x2, wm), [B, T, n, hs]); // -> [B, T, n, hs]
  let q = project(w.wq, nH);
  let k = project(w.wk, nKv);
  const v = project(w.wv, nKv);
  const eps = heads.normEps ?? DEFAULT_NORM_EPS;
  if (w.qNorm) q = rmsNorm(q, w.qNorm, eps); // per head, over hs
  if (w.kNorm) k = rmsNorm(k, w.kNorm, eps);
  const r = consts.rope;
  if (r) {
    q = applyRope(q, r.cosQ, r.sinQ, r.swap); // scaled by 1/sqrt(hs) via the tables
    k = applyRope(k, r.cosK, r.sinK, r.swap);
  } else {
    q = tf.mul(q, consts.qScale);
  }
  // Head split and key transpose as dedicated copies (fast kernels on wasm and cpu, see engine/tf/ops).
  const byKvHead = (t: tf.Tensor, rows: number) => tf.reshape(swapMiddleAxes(t), [B * nKv, rows, hs]); // [B, T, n, hs] -> [B*nKv, rows, hs]
  const qh = byKvHead(q, g * T); // [B, nH, T, hs] = [B*nKv, g*T, hs]
  const kT = transposeLast2(byKvHead(k, T)); // -> [B*nKv, hs, T]
  const vh = byKvHead(v, T);
  let scores = matMulExplicitGrad(qh, kT); // [B*nKv, g*T, T]
  scores = g === 1 ? tf.add(scores, consts.mask) : tf.reshape(tf.add(tf.reshape(scores, [B * nKv, g, T, T]), consts.mask), [B * nKv, g * T, T]);
  const att = tf.softmax(scores); // over the last axis (keys)
  seeWeights?.(att); // [B*nKv, g*T, T]: one row per (batch, query head, query)
  const y = matMulExplicitGrad(att, vh); // [B*nKv, g*T, hs]
  const merged = tf.reshape(swapMiddleAxes(tf.reshape(y, [B, nH, T, hs])), [B * T, nH * hs]); // -> [B, T, nH, hs] -> [B*T, nH*hs]
  return tf.reshape(matMulExplicitGrad(merged, w.wo), [B, T, C]);
}

/** Weights of one feed-forward layer: w1 [C, F], w2 [F, C], and w3 [C, F] for SwiGLU. */
export interface FfnWeights {
  w1: tf.Tensor2D;
  w2: tf.Tensor2D;
  w3?: tf.Tensor2D;
}

/**
 * Position-wise feed-forward layer. 'swiglu': (silu(x@w1) * (x@w3)) @ w2; 'gelu': gelu_tanh(x@w1) @ w2;
 * 'relu2': relu(x@w1)^2 @ w2 (squared ReLU, So et al., "Primer", 2021).
 * @example
 *   ffn(x, { w1, w2, w3 }, 'swiglu'); // [B, T, C] -> [B, T, C]
 */
export function ffn(x: tf.Tensor3D, w: FfnWeights, kind: FfnKind): tf.Tensor3D {
  const [B, T, C] = x.shape;
  const x2 = tf.reshape(x, [B * T, C]); // [B, T, C] -> [B*T, C]
  let h: tf.Tensor; // [B*T, F]
  if (kind === 'swiglu') {
    if (!w.w3) throw new Error('ffn: swiglu needs w3');
    h = swiglu(matMulExplicitGrad(x2, w.w1), matMulExplicitGrad(x2, w.w3)); // silu(x@w1) * (x@w3)
  } else if (kind === 'relu2') {
    const r = tf.relu(matMulExplicitGrad(x2, w.w1));
    h = tf.mul(r, r); // relu(x@w1)^2; a product, not tf.square, whose gradient casts (a copy on wasm)
  } else {
    h = geluTanh(matMulExplicitGrad(x2, w.w1));
  }
  return tf.reshape(matMulExplicitGrad(h, w.w2), [B, T, C]); // [B*T, F] @ [F, C] -> [B, T, C]
}
