// Gradient of TransposeLast2: swapping the last two axes back, on the kernel the forward pass ran.
import type * as tf from '@tensorflow/tfjs-core';
import type { GradConfig } from '@tensorflow/tfjs-core';
import { TransposeLast2 } from '../names';
import { runKernel } from '../runKernel';

export const transposeLast2GradConfig: GradConfig = {
  kernelName: TransposeLast2,
  gradFunc: (dy: tf.Tensor | tf.Tensor[]) => ({ x: () => runKernel(TransposeLast2, { x: dy }) as tf.Tensor }),
};
