// norm: RMSNorm (Zhang & Sennrich 2019) or LayerNorm over the last axis of the stream.
import { z } from 'zod';
import { DEFAULT_NORM_EPS } from '../../model/config';
import { defineNode, port } from '../../nodes/define';

export const norm = defineNode({
  kind: 'norm',
  title: 'Norm',
  category: 'model',
  description: 'Normalises each position of the stream (RMSNorm or LayerNorm), with a learned scale (and LayerNorm bias) unless turned off.',
  version: 1,
  inputs: { x: port('Residual', 'h') },
  outputs: { y: port('Residual', 'h') },
  params: z.object({
    kind: z.enum(['rmsnorm', 'layernorm']).default('rmsnorm').describe('normalisation layer'),
    eps: z.number().gt(0).max(1).default(DEFAULT_NORM_EPS).describe('added inside the square root'),
    learnable: z.boolean().default(true).describe('a learned weight (and LayerNorm bias); off: a plain normalisation'),
  }),
  summary: ['kind'],
});
