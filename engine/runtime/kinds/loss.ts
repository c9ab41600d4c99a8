// loss: how the node runs (its ports and params: engine/nodes/loss.ts).
import type * as tf from '@tensorflow/tfjs-core';
import { crossEntropy } from '../../model/gpt';
import { implementNode } from '../../nodes/define';
import { loss } from '../../nodes/loss';

export const lossImplementation = implementNode(loss, {
  create: () => ({
    step: ({ logits, targets }) => ({ loss: crossEntropy(logits as tf.Tensor3D, targets as tf.Tensor2D) }),
  }),
});
