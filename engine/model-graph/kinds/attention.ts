// attention: causal multi-head self-attention; fewer key/value heads than query heads is grouped-
// query attention (Ainslie et al. 2023), one is multi-query (Shazeer 2019); QK-norm as in OLMo 2.
import { z } from 'zod';
import { defineNode, port } from '../../nodes/define';

export const attention = defineNode({
  kind: 'attention',
  title: 'Attention',
  category: 'model',
  description: 'Causal self-attention: n_heads query heads sharing n_kv_heads key/value heads (GQA; 1 is MQA), optional QK-norm.',
  version: 1,
  inputs: { x: port('Residual', 'h') },
  outputs: { y: port('Residual', 'h') },
  params: z.object({
    n_heads: z.number().int().min(1).max(256).default(4).describe('query heads'),
    n_kv_heads: z.number().int().min(0).max(256).default(0).describe('key/value heads, dividing n_heads (fewer: GQA, 1: MQA); 0 = n_heads'),
    head_dim: z.number().int().min(0).max(4096).default(0).describe('width of one head; 0 = d_model / n_heads'),
    qk_norm: z.boolean().default(false).describe("RMSNorm on each head's queries and keys"),
    causal: z.boolean().default(true).describe('each position attends only to itself and earlier ones'),
  }),
  summary: ['n_heads', 'n_kv_heads'],
  check(p) {
    const issues = [];
    if (p.n_kv_heads > 0 && p.n_heads % p.n_kv_heads !== 0) {
      issues.push({ field: 'n_kv_heads', message: `n_heads (${p.n_heads}) must be divisible by n_kv_heads (${p.n_kv_heads})` });
    }
    // A language model predicts the next token: seeing later tokens would let it read the answer.
    if (!p.causal) issues.push({ field: 'causal', message: 'must be on: a language model may not see the tokens it predicts' });
    return issues;
  },
});
