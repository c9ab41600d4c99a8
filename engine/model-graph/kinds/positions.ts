// positions: how the model knows where a token is. RoPE rotates q and k inside every attention
// (Su et al. 2021); learned adds a trained wpe [context_length, d_model] to the embedding; none
// leaves order to the causal mask alone.
import { z } from 'zod';
import { appliesTo, defineNode, port } from '../../nodes/define';
import { POSITIONS_KINDS } from '../../model/config';

export const positions = defineNode({
  kind: 'positions',
  title: 'Positions',
  category: 'model',
  description: 'Position information: rotary (RoPE, in every attention), a learned table added to the stream (wpe), or none.',
  version: 1,
  inputs: { x: port('Residual', 'h') },
  outputs: { y: port('Residual', 'h') },
  params: z.object({
    kind: z.enum(POSITIONS_KINDS).default('rope').describe('rope: rotary in each attention; learned: wpe added here; none'),
    theta: appliesTo(z.number().gt(1).max(1e9).default(10_000).describe('RoPE base frequency'), ['rope']),
  }),
  summary: ['kind', 'theta'],
});
