// model: a GPT (RoPE, pre-norm, RMSNorm or LayerNorm, SwiGLU or GELU), see engine/model/gpt.ts.
import { z } from 'zod';
import { validateGptConfig, type GptConfig } from '../model/config';
import { defineNode, port } from './define';

const params = z.object({
  vocab_size: z.number().int().min(2).max(1_000_000).default(256).describe('token ids the model can read and predict'),
  context_length: z.number().int().min(1).max(65_536).default(64).describe('longest sequence the model sees (T)'),
  d_model: z.number().int().min(1).max(16_384).default(128).describe('width of the residual stream (C)'),
  n_layers: z.number().int().min(1).max(256).default(2).describe('transformer blocks'),
  n_heads: z.number().int().min(1).max(256).default(4).describe('attention heads; must divide d_model'),
  d_ff: z.number().int().min(1).max(65_536).default(512).describe('hidden width of the feed-forward layer'),
  rope_theta: z.number().positive().max(1e9).default(10_000).describe('RoPE base frequency'),
  norm: z.enum(['rmsnorm', 'layernorm']).default('rmsnorm').describe('normalisation layer'),
  ffn: z.enum(['swiglu', 'gelu']).default('swiglu').describe('feed-forward type'),
  tie_embeddings: z.boolean().default(true).describe('share the token embedding with the output layer'),
});

/** The engine's GptConfig for a model node's params. */
export function gptConfig(p: z.infer<typeof params>): GptConfig {
  return {
    vocabSize: p.vocab_size, contextLength: p.context_length, dModel: p.d_model, nLayers: p.n_layers,
    nHeads: p.n_heads, dFF: p.d_ff, ropeTheta: p.rope_theta, norm: p.norm, ffn: p.ffn, tieEmbeddings: p.tie_embeddings,
  };
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
