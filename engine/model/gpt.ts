// Decoder-only transformer (GPT) in tfjs, fast on the wasm backend. The PyTorch exporter mirrors
// this file exactly, so the architecture is specified here in full. hs = headDim (default C/nH),
// nKv = nKvHeads (default nH); the defaults are today's GPT and keep its names, order and init.
//
// Parameters (all weight matrices stored [in, out] and applied as x @ W; no biases in linear layers):
//   wte                      [V, C]  token embedding
//   wpe                      [T, C]  learned positions (positions 'learned' only)
//   blocks.{i}.norm1.weight  [C]     (+ blocks.{i}.norm1.bias [C] for layernorm)
//   blocks.{i}.attn.wq [C, nH·hs], wk, wv [C, nKv·hs], wo [nH·hs, C]
//   blocks.{i}.attn.q_norm.weight, k_norm.weight [hs]   (qkNorm only)
//   blocks.{i}.norm2.weight  [C]     (+ blocks.{i}.norm2.bias [C] for layernorm)
//   blocks.{i}.ffn.w1 [C, F], blocks.{i}.ffn.w2 [F, C] (+ blocks.{i}.ffn.w3 [C, F] for swiglu)
//   norm_f.weight [C] (+ norm_f.bias [C]);  lm_head [C, V] unless tieEmbeddings (logits = h @ wte^T)
//   Norm parameters exist only where the norm does (normPlacement 'none' drops norm1/norm2,
//   finalNorm false drops norm_f) and only when normLearnable (a fixed norm has weight 1, bias 0).
// Forward: h = wte[x] (+ wpe[:T] for learned positions); per block
//   pre-norm (default): h = h + attn(norm1(h)); h = h + ffn(norm2(h))
//   post-norm:          h = norm1(h + attn(h)); h = norm2(h + ffn(h))
//   no norm:            h = h + attn(h);        h = h + ffn(h)
//   logits = norm_f(h) @ lm_head (norm_f skipped when finalNorm is false).
// RMSNorm: x * rsqrt(mean(x^2) + eps) * weight. LayerNorm: biased variance, eps inside the sqrt.
// Attention: q = x@wq split into nH heads of hs channels, k = x@wk and v = x@wv into nKv heads;
//   QK-norm (optional): RMSNorm over hs on every q and k head (weights q_norm, k_norm, eps = normEps);
//   RoPE on q and k (positions 'rope' only); query head h attends with kv head floor(h / (nH/nKv));
//   causal softmax(q k^T / sqrt(hs)) v; heads merged back to [.., nH·hs]; then @ wo.
// RoPE (half-split "rotate_half" layout, as GPT-NeoX / HF LLaMA): inv_freq[j] = theta^(-2j/hs) for
//   j in [0, hs/2); angle = pos * inv_freq[j]; cos/sin duplicated over both halves of hs;
//   q' = q*cos + rotate_half(q)*sin with rotate_half(q) = concat(-q[hs/2:], q[:hs/2]).
//   Tables are computed in float64 and rounded to float32 once.
// FFN: swiglu (silu(x@w1) * (x@w3)) @ w2; gelu gelu_tanh(x@w1) @ w2 (tanh approximation);
//   relu2 relu(x@w1)^2 @ w2.
// Init (portable, from one Rng(seed), see engine/random.ts), in this order: wte, wpe, then for each
//   block norm1.weight, norm1.bias, attn.wq, wk, wv, wo, q_norm.weight, k_norm.weight, norm2.weight,
//   norm2.bias, ffn.w1, w2, w3, then norm_f.weight, norm_f.bias, lm_head (absent entries skipped).
//   Matrices draw normalArray(rng, size, std) filled row-major in their [in, out] layout (an
//   nn.Linear weight [out, in] is the transpose); norm weights are 1 and biases 0 and draw nothing.
//   std = 0.02, except wo and w2: 0.02 / sqrt(2 * nLayers) (GPT-2 residual scaling).
import * as tf from '@tensorflow/tfjs-core';
import { normalArray, Rng } from '../random';
import { embedding } from '../tf/ops/embedding';
import { type GptConfig, type ResolvedGptConfig, resolveGptConfig, validateGptConfig } from './config';
import { ROLE_IDS as R } from '../model-graph/graph';
import { gptParamSpecs } from './param-specs';
import type { ForwardProbe } from './probe';
import {
  AttentionTables,
  type AttentionConsts,
  type AttentionHeads,
  type AttentionWeights,
  causalSelfAttention,
  ffn,
  type FfnWeights,
  layerNorm,
  linear,
  linearTransposed,
  rmsNorm,
} from './layers';

export { type GptConfig, type GptConfigIssue, validateGptConfig, DEFAULT_NORM_EPS } from './config';
export { gptParamSpecs, type ParamSpec } from './param-specs';
export { crossEntropy } from './loss';
export { generate, generateAsync } from './generate';
export { ForwardProbe, type ProbeReading } from './probe';
export * from './layers';

const INIT_STD = 0.02;

/** A norm's gain (and LayerNorm's shift): parameters, or the model's fixed ones and zeros when not learnable. */
interface NormWeights {
  weight: tf.Tensor1D;
  bias?: tf.Tensor1D;
}

/** The weights of one block, looked up once from the param map; no norms with normPlacement 'none'. */
interface BlockWeights {
  norm1?: NormWeights;
  attn: AttentionWeights;
  norm2?: NormWeights;
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
  private readonly arch: ResolvedGptConfig;
  private readonly heads: AttentionHeads;
  private readonly tables: AttentionTables;
  private readonly fixedNorm?: Required<NormWeights>; // weight 1, bias 0 for non-learnable norms (kept constants)
  private readonly blocks: BlockWeights[];
  private readonly finalNorm?: NormWeights;

  constructor(config: GptConfig, seed: number) {
    const issues = validateGptConfig(config);
    if (issues.length) throw new Error(`invalid GPT config: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`);
    this.config = { ...config };
    const c = (this.arch = resolveGptConfig(config));
    this.heads = { nHeads: c.nHeads, nKvHeads: c.nKvHeads, headDim: c.headDim, normEps: c.normEps };
    this.params = initParams(c, seed);
    this.tables = new AttentionTables(c.contextLength, c.headDim, c.positions === 'rope' ? c.ropeTheta : null);
    if (!c.normLearnable) {
      this.fixedNorm = { weight: tf.keep(tf.ones([c.dModel])), bias: tf.keep(tf.zeros([c.dModel])) };
    }
    this.blocks = [];
    for (let i = 0; i < c.nLayers; i++) this.blocks.push(this.blockWeights(`blocks.${i}`));
    this.finalNorm = c.finalNorm ? this.normWeights('norm_f') : undefined;
  }

  private blockWeights(b: string): BlockWeights {
    const withNorms = this.arch.normPlacement !== 'none';
    return {
      norm1: withNorms ? this.normWeights(`${b}.norm1`) : undefined,
      attn: {
        wq: this.p(`${b}.attn.wq`),
        wk: this.p(`${b}.attn.wk`),
        wv: this.p(`${b}.attn.wv`),
        wo: this.p(`${b}.attn.wo`),
        qNorm: this.maybe(`${b}.attn.q_norm.weight`),
        kNorm: this.maybe(`${b}.attn.k_norm.weight`),
      },
      norm2: withNorms ? this.normWeights(`${b}.norm2`) : undefined,
      ffn: { w1: this.p(`${b}.ffn.w1`), w2: this.p(`${b}.ffn.w2`), w3: this.maybe(`${b}.ffn.w3`) },
    };
  }

  private normWeights(prefix: string): NormWeights {
    return this.fixedNorm ?? { weight: this.p(`${prefix}.weight`), bias: this.maybe(`${prefix}.bias`) };
  }

  private p<T extends tf.Tensor>(name: string): T {
    const v = this.params.get(name);
    if (!v) throw new Error(`missing parameter ${name}`); // a bug: specs and lookups disagree
    return v as unknown as T;
  }

  private maybe<T extends tf.Tensor>(name: string): T | undefined {
    return this.params.get(name) as unknown as T | undefined;
  }

  private norm(x: tf.Tensor, w: NormWeights): tf.Tensor {
    const eps = this.arch.normEps;
    return this.arch.norm === 'layernorm' ? layerNorm(x, w.weight, w.bias!, eps) : rmsNorm(x, w.weight, eps);
  }

  /** One transformer block on the residual stream [B, T, C], with the norms where normPlacement puts them. */
  private block(h: tf.Tensor3D, blk: BlockWeights, consts: AttentionConsts, layer: number, probe?: ForwardProbe): tf.Tensor3D {
    // Without a probe `seen` returns its tensor and the block runs exactly the ops it always did.
    const seen = <T extends tf.Tensor>(innerId: string, t: T): T => (probe?.activation(innerId, layer, t), t);
    const seeWeights = probe && ((probs: tf.Tensor) => probe.attention(R.attention, layer, probs));
    const attn = (x: tf.Tensor) => seen(R.attention, causalSelfAttention(x as tf.Tensor3D, blk.attn, this.heads, consts, seeWeights));
    const mlp = (x: tf.Tensor) => seen(R.ffn, ffn(x as tf.Tensor3D, blk.ffn, this.arch.ffn));
    const norm = (innerId: string, x: tf.Tensor, w: NormWeights) => seen(innerId, this.norm(x, w));
    const { norm1, norm2 } = blk;
    if (!norm1 || !norm2) {
      const h1 = seen(R.residual1, tf.add(h, attn(h))); // no block norms
      return seen(R.residual2, tf.add(h1, mlp(h1)));
    }
    if (this.arch.normPlacement === 'post') {
      const h1 = norm(R.norm1, seen(R.residual1, tf.add(h, attn(h))), norm1);
      return norm(R.norm2, seen(R.residual2, tf.add(h1, mlp(h1))), norm2) as tf.Tensor3D;
    }
    const h1 = seen(R.residual1, tf.add(h, attn(norm(R.norm1, h, norm1))));
    return seen(R.residual2, tf.add(h1, mlp(norm(R.norm2, h1, norm2))));
  }

  /**
   * Final hidden states after norm_f: int32 [B, T] -> [B, T, C]. forward = head(hidden(x));
   * generate uses the two halves to apply the head to the last position only. A probe (the
   * inside view) is shown every inner node's output on the way.
   * @example
   *   const h = model.hidden(x); // [B, T, C]
   */
  hidden(x: tf.Tensor2D, probe?: ForwardProbe): tf.Tensor3D {
    const T = x.shape[1];
    if (x.dtype !== 'int32') throw new Error(`Gpt.forward: token ids must be int32, got ${x.dtype}`);
    if (T < 1 || T > this.config.contextLength) {
      throw new Error(`Gpt.forward: sequence length ${T} must be in [1, contextLength = ${this.config.contextLength}]`);
    }
    const seen = <U extends tf.Tensor>(innerId: string, t: U): U => (probe?.activation(innerId, undefined, t), t);
    return tf.tidy(() => {
      const consts: AttentionConsts = this.tables.forLength(T);
      let h = seen(R.embedding, embedding(this.p('wte'), x) as tf.Tensor3D); // [B, T] -> [B, T, C]
      const wpe = this.maybe<tf.Tensor2D>('wpe');
      if (wpe) h = tf.add(h, seen(R.positions, T === this.arch.contextLength ? wpe : tf.slice(wpe, 0, T))); // + [T, C], broadcast over B
      this.blocks.forEach((blk, layer) => (h = this.block(h, blk, consts, layer, probe)));
      return (this.finalNorm ? seen(R.finalNorm, this.norm(h, this.finalNorm)) : h) as tf.Tensor3D;
    });
  }

  /**
   * Logits from final hidden states: [..., C] -> [..., V] (lm_head, or wte^T when tied).
   * @example
   *   const logits = model.head(h); // [B, T, C] -> [B, T, V]
   */
  head(h: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      if (this.config.tieEmbeddings) return linearTransposed(h, this.p<tf.Tensor2D>('wte')); // h @ wte^T
      return linear(h, this.p<tf.Tensor2D>('lm_head'));
    });
  }

  /**
   * Logits for every position: int32 [B, T] (T <= contextLength) -> float32 [B, T, V]. With a
   * probe, the inside view's numbers are measured on the way (engine/model/probe.ts).
   * @example
   *   const logits = model.forward(tf.tensor2d([[1, 2, 3]], [1, 3], 'int32')); // [1, 3, V]
   */
  forward(x: tf.Tensor2D, probe?: ForwardProbe): tf.Tensor3D {
    return tf.tidy(() => {
      const logits = this.head(this.hidden(x, probe)) as tf.Tensor3D;
      probe?.activation(R.head, undefined, logits);
      return logits;
    });
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

  /** Frees the parameters and the cached constants (attention tables, fixed norm weights). */
  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.tables.dispose();
    if (this.fixedNorm) tf.dispose([this.fixedNorm.weight, this.fixedNorm.bias]);
  }
}

/** The parameters of `c` in the canonical order, drawn from one Rng(seed) (see the header). */
function initParams(c: ResolvedGptConfig, seed: number): Map<string, tf.Variable> {
  const rng = new Rng(seed);
  const residualStd = INIT_STD / Math.sqrt(2 * c.nLayers);
  const params = new Map<string, tf.Variable>();
  for (const spec of gptParamSpecs(c)) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    let values: Float32Array;
    if (spec.init === 'normal') values = normalArray(rng, size, INIT_STD);
    else if (spec.init === 'residual') values = normalArray(rng, size, residualStd);
    else values = new Float32Array(size).fill(spec.init === 'ones' ? 1 : 0);
    // No variable name: tfjs names must be globally unique and several models may coexist.
    const init = tf.tensor(values, spec.shape, 'float32');
    params.set(spec.name, tf.variable(init, true));
    init.dispose(); // the variable holds its own copy
  }
  return params;
}
