// Decoder-only transformer (GPT) in tfjs, fast on the wasm backend. The PyTorch exporter mirrors
// this file exactly, so the architecture is specified here in full:
//
// Parameters (all weight matrices stored [in, out] and applied as x @ W; no biases in linear layers):
//   wte                      [V, C]  token embedding (no learned positions: RoPE encodes them)
//   blocks.{i}.norm1.weight  [C]     (+ blocks.{i}.norm1.bias [C] for layernorm)
//   blocks.{i}.attn.wq/wk/wv/wo [C, C]
//   blocks.{i}.norm2.weight  [C]     (+ blocks.{i}.norm2.bias [C] for layernorm)
//   blocks.{i}.ffn.w1 [C, F], blocks.{i}.ffn.w2 [F, C] (+ blocks.{i}.ffn.w3 [C, F] for swiglu)
//   norm_f.weight [C] (+ norm_f.bias [C]);  lm_head [C, V] unless tieEmbeddings (logits = h @ wte^T)
// Forward: h = wte[x]; per block (pre-norm) h = h + attn(norm1(h)); h = h + ffn(norm2(h));
//   logits = norm_f(h) @ lm_head.
// RMSNorm: x * rsqrt(mean(x^2) + eps) * weight. LayerNorm: biased variance, eps inside the sqrt.
// Attention: q, k, v = x@wq, x@wk, x@wv split into nHeads heads of hs = C/nHeads channels; RoPE on
//   q and k; causal softmax(q k^T / sqrt(hs)) v; heads merged back to [.., C]; then @ wo.
// RoPE (half-split "rotate_half" layout, as GPT-NeoX / HF LLaMA): inv_freq[j] = theta^(-2j/hs) for
//   j in [0, hs/2); angle = pos * inv_freq[j]; cos/sin duplicated over both halves of hs;
//   q' = q*cos + rotate_half(q)*sin with rotate_half(q) = concat(-q[hs/2:], q[:hs/2]).
//   Tables are computed in float64 and rounded to float32 once.
// FFN: swiglu (silu(x@w1) * (x@w3)) @ w2; gelu gelu_tanh(x@w1) @ w2 (tanh approximation).
// Init (portable, from one Rng(seed), see engine/random.ts), in this order: wte, then for each block
//   norm1.weight, norm1.bias, attn.wq, wk, wv, wo, norm2.weight, norm2.bias, ffn.w1, w2, w3, then
//   norm_f.weight, norm_f.bias, lm_head (absent entries skipped). Matrices draw normalArray(rng,
//   size, std) filled row-major in their [in, out] layout (an nn.Linear weight [out, in] is the
//   transpose); norm weights are 1 and biases 0 and draw nothing. std = 0.02, except wo and w2:
//   0.02 / sqrt(2 * nLayers) (GPT-2 residual scaling).
import * as tf from '@tensorflow/tfjs-core';
import { normalArray, Rng } from '../random';
import { embedding } from '../tf/ops/embedding';
import { DEFAULT_NORM_EPS, type GptConfig, resolveGptConfig, validateGptConfig } from './config';
import { gptParamSpecs } from './param-specs';
import {
  AttentionTables,
  type AttentionConsts,
  type AttentionWeights,
  causalSelfAttention,
  ffn,
  type FfnWeights,
  layerNorm,
  linear,
  rmsNorm,
} from './layers';

export { type GptConfig, type GptConfigIssue, validateGptConfig, DEFAULT_NORM_EPS } from './config';
export { gptParamSpecs, type ParamSpec } from './param-specs';
export { crossEntropy } from './loss';
export { generate, generateAsync } from './generate';
export * from './layers';

const INIT_STD = 0.02;

/** The weights of one block, looked up once from the param map. */
interface BlockWeights {
  norm1: { weight: tf.Tensor1D; bias?: tf.Tensor1D };
  attn: AttentionWeights;
  norm2: { weight: tf.Tensor1D; bias?: tf.Tensor1D };
  ffn: FfnWeights;
}

/**
 * The GPT model: owns its parameters (tf.Variables) and cached constant tensors.
 * @example
 *   const model = new Gpt(config, 1337);
 *   const loss = tf.tidy(() => crossEntropy(model.forward(x), y));
 *   model.dispose();
 */
export class Gpt {
  readonly config: GptConfig;
  /** Every parameter by name, in the canonical order; all trainable. */
  readonly params: Map<string, tf.Variable>;
  private readonly eps: number;
  private readonly tables: AttentionTables;
  private readonly blocks: BlockWeights[];

  constructor(config: GptConfig, seed: number) {
    const issues = validateGptConfig(config);
    if (issues.length) throw new Error(`invalid GPT config: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`);
    const variants = unbuiltVariants(config);
    if (variants.length) throw new Error(`the engine does not build these variants yet: ${variants.join(', ')}`);
    this.config = { ...config };
    this.eps = config.normEps ?? DEFAULT_NORM_EPS;
    const rng = new Rng(seed);
    const residualStd = INIT_STD / Math.sqrt(2 * config.nLayers);
    this.params = new Map();
    for (const spec of gptParamSpecs(config)) {
      const size = spec.shape.reduce((a, b) => a * b, 1);
      let values: Float32Array;
      if (spec.init === 'normal') values = normalArray(rng, size, INIT_STD);
      else if (spec.init === 'residual') values = normalArray(rng, size, residualStd);
      else values = new Float32Array(size).fill(spec.init === 'ones' ? 1 : 0);
      // No variable name: tfjs names must be globally unique and several models may coexist.
      const init = tf.tensor(values, spec.shape, 'float32');
      this.params.set(spec.name, tf.variable(init, true));
      init.dispose(); // the variable holds its own copy
    }
    this.tables = new AttentionTables(config.contextLength, config.dModel / config.nHeads, config.ropeTheta);
    this.blocks = [];
    for (let i = 0; i < config.nLayers; i++) {
      const b = `blocks.${i}`;
      this.blocks.push({
        norm1: { weight: this.p(`${b}.norm1.weight`), bias: this.maybe(`${b}.norm1.bias`) },
        attn: { wq: this.p(`${b}.attn.wq`), wk: this.p(`${b}.attn.wk`), wv: this.p(`${b}.attn.wv`), wo: this.p(`${b}.attn.wo`) },
        norm2: { weight: this.p(`${b}.norm2.weight`), bias: this.maybe(`${b}.norm2.bias`) },
        ffn: { w1: this.p(`${b}.ffn.w1`), w2: this.p(`${b}.ffn.w2`), w3: this.maybe(`${b}.ffn.w3`) },
      });
    }
  }

  private p<T extends tf.Tensor>(name: string): T {
    const v = this.params.get(name);
    if (!v) throw new Error(`missing parameter ${name}`); // a bug: specs and lookups disagree
    return v as unknown as T;
  }

  private maybe<T extends tf.Tensor>(name: string): T | undefined {
    return this.params.get(name) as unknown as T | undefined;
  }

  private norm(x: tf.Tensor, w: { weight: tf.Tensor1D; bias?: tf.Tensor1D }): tf.Tensor {
    return this.config.norm === 'layernorm' ? layerNorm(x, w.weight, w.bias!, this.eps) : rmsNorm(x, w.weight, this.eps);
  }

  /**
   * Final hidden states after norm_f: int32 [B, T] -> [B, T, C]. forward = head(hidden(x));
   * generate uses the two halves to apply the head to the last position only.
   * @example
   *   const h = model.hidden(x); // [B, T, C]
   */
  hidden(x: tf.Tensor2D): tf.Tensor3D {
    const T = x.shape[1];
    if (x.dtype !== 'int32') throw new Error(`Gpt.forward: token ids must be int32, got ${x.dtype}`);
    if (T < 1 || T > this.config.contextLength) {
      throw new Error(`Gpt.forward: sequence length ${T} must be in [1, contextLength = ${this.config.contextLength}]`);
    }
    return tf.tidy(() => {
      const consts: AttentionConsts = this.tables.forLength(T);
      let h = embedding(this.p('wte'), x) as tf.Tensor3D; // [B, T] -> [B, T, C]
      for (const blk of this.blocks) {
        h = tf.add(h, causalSelfAttention(this.norm(h, blk.norm1) as tf.Tensor3D, blk.attn, this.config.nHeads, consts));
        h = tf.add(h, ffn(this.norm(h, blk.norm2) as tf.Tensor3D, blk.ffn, this.config.ffn as 'swiglu' | 'gelu'));
      }
      const fin = { weight: this.p<tf.Tensor1D>('norm_f.weight'), bias: this.maybe<tf.Tensor1D>('norm_f.bias') };
      return this.norm(h, fin) as tf.Tensor3D;
    });
  }

  /**
   * Logits from final hidden states: [..., C] -> [..., V] (lm_head, or wte^T when tied).
   * @example
   *   const logits = model.head(h); // [B, T, C] -> [B, T, V]
   */
  head(h: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      // Tied: an explicit transpose of wte ([V, C] -> [C, V], small) keeps every matmul untransposed.
      const w = this.config.tieEmbeddings ? tf.transpose(this.p<tf.Tensor2D>('wte')) : this.p<tf.Tensor2D>('lm_head');
      return linear(h, w as tf.Tensor2D);
    });
  }

  /**
   * Logits for every position: int32 [B, T] (T <= contextLength) -> float32 [B, T, V].
   * @example
   *   const logits = model.forward(tf.tensor2d([[1, 2, 3]], [1, 3], 'int32')); // [1, 3, V]
   */
  forward(x: tf.Tensor2D): tf.Tensor3D {
    return tf.tidy(() => this.head(this.hidden(x)) as tf.Tensor3D);
  }

  /**
   * Total number of scalar parameters (tied embeddings counted once).
   * @example
   *   new Gpt(CONFIG_R, 1).parameterCount(); // 427264
   */
  parameterCount(): number {
    let n = 0;
    for (const v of this.params.values()) n += v.size;
    return n;
  }

  /**
   * Replaces every weight (checkpoint load). Checks all names and shapes first, so a bad
   * checkpoint changes nothing; the caller keeps ownership of `weights`.
   * @example
   *   model.loadWeights(new Map([['wte', wte], ...])); // throws "missing parameter lm_head [128,256]"
   */
  loadWeights(weights: Map<string, tf.Tensor>): void {
    const problems: string[] = [];
    for (const [name, v] of this.params) {
      const w = weights.get(name);
      if (!w) problems.push(`missing parameter ${name} [${v.shape}]`);
      else if (!tf.util.arraysEqual(w.shape, v.shape)) problems.push(`shape mismatch for ${name}: expected [${v.shape}], got [${w.shape}]`);
    }
    for (const name of weights.keys()) if (!this.params.has(name)) problems.push(`unexpected parameter ${name}`);
    if (problems.length) throw new Error(`loadWeights: ${problems.join('; ')}`);
    tf.tidy(() => {
      for (const [name, v] of this.params) {
        const w = weights.get(name)!;
        v.assign(w.dtype === 'float32' ? w : tf.cast(w, 'float32'));
      }
    });
  }

  /** Frees the parameters and the cached attention tables. */
  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.tables.dispose();
  }
}

/** Variant fields set away from today's GPT, which this model does not build. */
function unbuiltVariants(c: GptConfig): string[] {
  const r = resolveGptConfig(c);
  const off: string[] = [];
  if (r.ffn === 'relu2') off.push('ffn relu2');
  if (r.positions !== 'rope') off.push(`positions ${r.positions}`);
  if (r.nKvHeads !== r.nHeads) off.push('nKvHeads');
  if (r.headDim * r.nHeads !== r.dModel) off.push('headDim');
  if (r.qkNorm) off.push('qkNorm');
  if (r.normPlacement !== 'pre') off.push(`normPlacement ${r.normPlacement}`);
  if (!r.normLearnable) off.push('normLearnable false');
  if (!r.finalNorm) off.push('finalNorm false');
  return off;
}
