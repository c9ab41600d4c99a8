// loss: mean next-token cross-entropy (natural log) of logits against the shifted targets.
import { z } from 'zod';
import { defineNode, port } from './define';

export const loss = defineNode({
  kind: 'loss',
  title: 'Cross-entropy',
  category: 'objective',
  description: 'Mean cross-entropy between the logits and the target ids (y).',
  version: 1,
  inputs: { logits: port('Logits', 'logits'), targets: port('Tokens', 'targets') },
  outputs: { loss: port('Loss', 'loss') },
  params: z.object({}),
  summary: [],
});
