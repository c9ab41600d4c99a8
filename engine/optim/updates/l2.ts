// L2 regularisation the torch way (adam, sgd, adagrad): the decay term joins the gradient.
import type * as tf from '@tensorflow/tfjs-core';

export const withL2 = (p: tf.Tensor, g: tf.Tensor, wd: number): tf.Tensor => (wd !== 0 ? g.add(p.mul(wd)) : g);
