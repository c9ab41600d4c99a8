// Gradient of SwapMiddleAxes: swapping the middle axes back, on the kernel the forward pass ran.
import type * as tf from '@tensorflow/tfjs-core';
import type { GradConfig } from '@tensorflow/tfjs-core';
import { SwapMiddleAxes } from '../names';
import { runKernel } from '../runKernel';

export const swapMiddleAxesGradConfig: GradConfig = {
  kernelName: SwapMiddleAxes,
  gradFunc: (dy: tf.Tensor | tf.Tensor[]) => ({ x: () => runKernel(SwapMiddleAxes, { x: dy }) as tf.Tensor }),
};
