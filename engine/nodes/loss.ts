// loss: mean next-token cross-entropy (natural log) of logits against the shifted targets.
import type * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { crossEntropy } from '../model/gpt';
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
  create: () => ({
    step: ({ logits, targets }) => ({ loss: crossEntropy(logits as tf.Tensor3D, targets as tf.Tensor2D) }),
  }),
});
