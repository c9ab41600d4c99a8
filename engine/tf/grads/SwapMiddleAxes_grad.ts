// Gradient of SwapMiddleAxes: swapping the middle axes back.
import type * as tf from '@tensorflow/tfjs';
import type { GradConfig } from '@tensorflow/tfjs';
import { SwapMiddleAxes } from '../names';
import { swapMiddleAxes } from '../ops/swapMiddleAxes';

export const swapMiddleAxesGradConfig: GradConfig = {
  kernelName: SwapMiddleAxes,
  gradFunc: (dy: tf.Tensor | tf.Tensor[]) => ({ x: () => swapMiddleAxes(dy as tf.Tensor) }),
};
