// Gradient of TransposeLast2: swapping the last two axes back.
import type * as tf from '@tensorflow/tfjs';
import type { GradConfig } from '@tensorflow/tfjs';
import { TransposeLast2 } from '../names';
import { transposeLast2 } from '../ops/transposeLast2';

export const transposeLast2GradConfig: GradConfig = {
  kernelName: TransposeLast2,
  gradFunc: (dy: tf.Tensor | tf.Tensor[]) => ({ x: () => transposeLast2(dy as tf.Tensor) }),
};
