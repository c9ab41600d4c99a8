// clip: how the node runs (its ports and params: engine/nodes/clip.ts).
import * as tf from '@tensorflow/tfjs-core';
import { clip } from '../../nodes/clip';
import { implementNode } from '../../nodes/define';
import { clipByGlobalNorm } from '../../optim/clip';

export const clipImplementation = implementNode(clip, {
  create: (p) => ({
    async step({ grads }, ctx) {
      const clipped = clipByGlobalNorm(grads as Map<string, tf.Tensor>, p.max_norm);
      const norm = (await clipped.norm.data())[0];
      tf.dispose([clipped.norm, clipped.coef]);
      ctx.metric('grad_norm', norm);
      ctx.metric('clipped', p.max_norm > 0 && norm > p.max_norm ? 1 : 0);
      return { grads: clipped.grads };
    },
  }),
});
