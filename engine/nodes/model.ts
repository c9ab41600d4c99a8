// model: a GPT (RoPE, learned or no positions; pre-, post- or no block norms, RMSNorm or LayerNorm;
// MHA, GQA or MQA, optional QK-norm; SwiGLU, GELU or relu²), see engine/model/gpt.ts.
import { z } from 'zod';
import { FFN_KINDS, NORM_PLACEMENTS, POSITIONS_KINDS, validateGptConfig, type GptConfig } from '../model/config';
import { defineNode, port } from './define';

const params = z.object({
  vocab_size: z.number().int().min(2).max(1_000_000).default(256).describe('token ids the model can read and predict'),
  context_length: z.number().int().min(1).max(65_536).default(64).describe('longest sequence the model sees (T)'),
  d_model: z.number().int().min(1).max(16_384).default(128).describe('width of the residual stream (C)'),
  n_layers: z.number().int().min(1).max(256).default(2).describe('transformer blocks'),
  n_heads: z.number().int().min(1).max(256).default(4).describe('attention (query) heads; must divide d_model unless head_dim is set'),
  d_ff: z.number().int().min(1).max(65_536).default(512).describe('hidden width of the feed-forward layer'),
  rope_theta: z.number().positive().max(1e9).default(10_000).describe('RoPE base frequency'),
  norm: z.enum(['rmsnorm', 'layernorm']).default('rmsnorm').describe('normalisation layer'),
  ffn: z.enum(FFN_KINDS).default('swiglu').describe('feed-forward type: swiglu, gelu (tanh) or relu2 (squared ReLU)'),
  tie_embeddings: z.boolean().default(true).describe('share the token embedding with the output layer'),
  positions: z.enum(POSITIONS_KINDS).default('rope').describe('how the model knows token order: rope, learned (a wpe table) or none'),
  n_kv_heads: z.number().int().min(1).max(256).optional().describe('key/value heads, dividing n_heads: fewer is GQA, 1 is MQA; unset = n_heads'),
  head_dim: z.number().int().min(1).max(4096).optional().describe('width of one attention head; unset = d_model / n_heads'),
  qk_norm: z.boolean().default(false).describe('RMSNorm on every query and key head before RoPE'),
  norm_placement: z.enum(NORM_PLACEMENTS).default('pre').describe('block norms before attention and FFN (pre), after the residual add (post), or none'),
  norm_learnable: z.boolean().default(true).describe('norms carry a learned gain (and LayerNorm a bias)'),
  final_norm: z.boolean().default(true).describe('normalise the last hidden state before the output layer'),
});

type ModelParams = z.infer<typeof params>;

/** The engine's GptConfig for a model node's params. */
export function gptConfig(p: ModelParams): GptConfig {
  return {
    vocabSize: p.vocab_size, contextLength: p.context_length, dModel: p.d_model, nLayers: p.n_layers,
    nHeads: p.n_heads, dFF: p.d_ff, ropeTheta: p.rope_theta, norm: p.norm, ffn: p.ffn, tieEmbeddings: p.tie_embeddings,
    positions: p.positions, qkNorm: p.qk_norm, normPlacement: p.norm_placement, normLearnable: p.norm_learnable, finalNorm: p.final_norm,
    ...(p.n_kv_heads !== undefined ? { nKvHeads: p.n_kv_heads } : {}),
    ...(p.head_dim !== undefined ? { headDim: p.head_dim } : {}),
  };
}

/**
 * A model node's params for a GptConfig (the inverse of gptConfig; normEps has no param and
 * keeps its default). Unset optional fields stay unset.
 * @example
 *   modelNodeParams({ ...cfg, nKvHeads: 2 }).n_kv_heads; // 2
 */
export function modelNodeParams(c: GptConfig): Partial<ModelParams> {
  const out: Partial<ModelParams> = {
    vocab_size: c.vocabSize, context_length: c.contextLength, d_model: c.dModel, n_layers: c.nLayers, n_heads: c.nHeads,
    d_ff: c.dFF, rope_theta: c.ropeTheta, norm: c.norm, ffn: c.ffn, tie_embeddings: c.tieEmbeddings,
    positions: c.positions, n_kv_heads: c.nKvHeads, head_dim: c.headDim, qk_norm: c.qkNorm, norm_placement: c.normPlacement,
    norm_learnable: c.normLearnable, final_norm: c.finalNorm,
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined)) as Partial<ModelParams>;
}

const FIELD_NAMES: Record<keyof GptConfig, string> = {
  vocabSize: 'vocab_size', contextLength: 'context_length', dModel: 'd_model', nLayers: 'n_layers', nHeads: 'n_heads',
  dFF: 'd_ff', ropeTheta: 'rope_theta', norm: 'norm', ffn: 'ffn', tieEmbeddings: 'tie_embeddings', normEps: 'norm_eps',
  positions: 'positions', nKvHeads: 'n_kv_heads', headDim: 'head_dim', qkNorm: 'qk_norm', normPlacement: 'norm_placement',
  normLearnable: 'norm_learnable', finalNorm: 'final_norm',
};

export const model = defineNode({
  kind: 'model',
  title: 'GPT model',
  category: 'model',
  description: 'A decoder-only transformer: token ids in, next-token logits out.',
  version: 1,
  inputs: { x: port('Tokens', 'x') },
  outputs: { logits: port('Logits', 'logits'), model: port('Model', 'model') },
  params,
  summary: ['d_model', 'n_layers', 'n_heads', 'vocab_size'],
  check(p, ctx) {
    // The engine speaks camelCase; users see the params' snake_case names.
    const snake = (text: string) => text.replace(/\b(vocabSize|contextLength|dModel|nLayers|nHeads|dFF|ropeTheta|tieEmbeddings|normEps|nKvHeads|headDim|qkNorm|normPlacement|normLearnable|finalNorm)\b/g,
      (name) => FIELD_NAMES[name as keyof GptConfig]);
    const issues = validateGptConfig(gptConfig(p)).map((i) => ({ field: FIELD_NAMES[i.field] ?? String(i.field), message: snake(i.message) }));
    const feeder = ctx.upstream('x');
    const T = feeder?.params.context_length;
    if (typeof T === 'number' && T > p.context_length) {
      issues.push({ field: 'context_length', message: `is ${p.context_length}, but ${feeder!.kind} sends sequences of ${T} tokens` });
    }
    return issues;
  },
});
