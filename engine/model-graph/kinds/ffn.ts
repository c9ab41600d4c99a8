// ffn: the position-wise feed-forward layer. SwiGLU (Shazeer 2020), GELU (GPT-2), or squared ReLU
// (So et al. 2021, "Primer"; modded-nanogpt).
import { z } from 'zod';
import { FFN_KINDS } from '../../model/config';
import { defineNode, port } from '../../nodes/define';

export const ffn = defineNode({
  kind: 'ffn',
  title: 'Feed-forward',
  category: 'model',
  description: 'A two-layer MLP per position: d_model -> d_ff -> d_model, with SwiGLU, GELU or squared ReLU (relu2).',
  version: 1,
  inputs: { x: port('Residual', 'h') },
  outputs: { y: port('Residual', 'h') },
  params: z.object({
    kind: z.enum(FFN_KINDS).default('swiglu').describe('activation: swiglu (gated, 3 matrices), gelu, relu2 (squared ReLU)'),
    d_ff: z.number().int().min(1).max(65_536).default(512).describe('hidden width (F)'),
  }),
  summary: ['kind', 'd_ff'],
});
