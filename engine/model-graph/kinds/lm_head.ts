// lm_head: the stream -> next-token logits, with its own matrix [d_model, vocab_size] or the token
// embedding's transposed (tied, Press & Wolf 2017).
import { z } from 'zod';
import { appliesTo, defineNode, port } from '../../nodes/define';

export const lm_head = defineNode({
  kind: 'lm_head',
  title: 'LM head',
  category: 'model',
  description: "Projects the stream to logits over the vocabulary: the model's logits output.",
  version: 1,
  inputs: { x: port('Residual', 'h') },
  outputs: { logits: port('Logits', 'logits') },
  params: z.object({
    weights: z.enum(['tied', 'untied']).default('tied').describe("tied: the token embedding's matrix, transposed; untied: a matrix of its own"),
    tied_to: appliesTo(
      z.string().max(64).optional().describe('the embedding node whose matrix a tied head shares (default: the one embedding)'),
      ['tied'],
      'weights',
    ),
  }),
  summary: ['weights'],
  check(p) {
    if (p.weights === 'untied' && p.tied_to !== undefined) {
      return [{ field: 'tied_to', message: `is set to '${p.tied_to}', but the head is untied: clear tied_to, or tie the head` }];
    }
    return [];
  },
});
