// Names, inputs and attributes of the engine's custom tfjs kernels (tfjs's own layout: names, ops, kernels, grads, register).
import type { TensorInfo } from '@tensorflow/tfjs-core';

/**
 * Batched matmul [batch, M, K] @ [batch, K, N] -> [batch, M, N] (no transposes, no broadcasting),
 * run as one plain 2D matmul per batch entry so that every product takes the backend's fast path.
 */
export const BatchMatMulLooped = 'BatchMatMulLooped';
export interface BatchMatMulLoopedInputs {
  a: TensorInfo; // [batch, M, K]
  b: TensorInfo; // [batch, K, N]
}

/**
 * Row lookup: table [V, C] float32, ids [N] int32 -> [N, C] with out[n] = table[ids[n]].
 * Same result as tf.gather(table, ids) (axis 0); out-of-range ids throw. No registered gradient:
 * ops/embedding.ts wraps it in a customGrad whose gradient is a scatter-add on every backend.
 */
export const GatherRows = 'GatherRows';
export interface GatherRowsInputs {
  table: TensorInfo; // [V, C] float32
  ids: TensorInfo; // [N] int32
}

/**
 * One Adam/AdamW step for one parameter, as torch.optim.Adam(W) computes it (float64 inside,
 * stored as float32): g' = g + l2 * p; m' = beta1 m + (1 - beta1) g'; v' = beta2 v + (1 - beta2) g'^2;
 * p' = decay * p - stepSize * m' / (sqrt(v') / bc2Sqrt + eps). Outputs [p', m', v'].
 */
export const FusedAdamUpdate = 'FusedAdamUpdate';
export interface FusedAdamUpdateInputs {
  p: TensorInfo; // the parameter (any shape, float32)
  g: TensorInfo; // its gradient
  m: TensorInfo; // first moment
  v: TensorInfo; // second moment
}
export interface FusedAdamUpdateAttrs {
  beta1: number;
  beta2: number;
  eps: number;
  decay: number; // adamw: 1 - lr * weight_decay (decoupled); adam: 1
  l2: number; // adam: weight_decay (added to the gradient); adamw: 0
  stepSize: number; // lr / (1 - beta1^t)
  bc2Sqrt: number; // sqrt(1 - beta2^t)
}

/** The name of input i of a kernel over any number of tensors (GlobalNorm, ScaleAll). */
export const variadicName = (i: number) => `x${i}`;

/**
 * The L2 norm of several tensors together, sqrt(sum over all of them of x^2) (the squares summed
 * in float64), as a float32 scalar: gradient clipping's global norm in one kernel call. Inputs
 * x0, x1, ... (float32, any shapes).
 */
export const GlobalNorm = 'GlobalNorm';

/**
 * Several tensors each multiplied by one scalar: inputs coef (a float32 scalar) and x0, x1, ...
 * (float32, any shapes); outputs x_i * coef in the same order. Gradient clipping's scaling in one
 * kernel call.
 */
export const ScaleAll = 'ScaleAll';

/** Swaps the last two axes: [..., M, N] -> [..., N, M] (a plain copy; the gradient is the same op). */
export const TransposeLast2 = 'TransposeLast2';
export interface TransposeLast2Inputs {
  x: TensorInfo; // [..., M, N] float32
}

/**
 * LayerNorm over the last axis of x [N, C]: outputs [y, mean, rstd] with mean [N], rstd [N] =
 * 1/sqrt(var + eps) (biased variance) and y = (x - mean) * rstd * weight + bias.
 */
export const LayerNormForward = 'LayerNormForward';
export interface LayerNormForwardInputs {
  x: TensorInfo; // [N, C]
  weight: TensorInfo; // [C]
  bias: TensorInfo; // [C]
}
/** RMSNorm over the last axis of x [N, C]: outputs [y, rstd], rstd = 1/sqrt(mean(x^2) + eps), y = x * rstd * weight. */
export const RmsNormForward = 'RmsNormForward';
export interface RmsNormForwardInputs {
  x: TensorInfo; // [N, C]
  weight: TensorInfo; // [C]
}
export interface NormAttrs {
  eps: number;
}
/**
 * Gradient of LayerNormForward: [dx [N, C], dweight [C], dbias [C]] from dy, x and the saved mean
 * and rstd (xhat = (x - mean) * rstd is recomputed, so it is never stored).
 */
export const LayerNormBackward = 'LayerNormBackward';
export interface LayerNormBackwardInputs {
  dy: TensorInfo; // [N, C]
  x: TensorInfo; // [N, C]
  mean: TensorInfo; // [N]
  rstd: TensorInfo; // [N]
  weight: TensorInfo; // [C]
}
/** Gradient of RmsNormForward: [dx [N, C], dweight [C]] from dy, x and the saved rstd. */
export const RmsNormBackward = 'RmsNormBackward';
export interface RmsNormBackwardInputs {
  dy: TensorInfo; // [N, C]
  x: TensorInfo; // [N, C]
  rstd: TensorInfo; // [N]
  weight: TensorInfo; // [C]
}

/** GELU (tanh approximation) y = x * sigmoid(x * (A + B x^2)), A = 2 sqrt(2/pi), B = 0.044715 A. */
export const GeluForward = 'GeluForward';
/** Its gradient: dx = dy * (s + x s (1 - s) (A + 3 B x^2)), s recomputed from x. */
export const GeluBackward = 'GeluBackward';
export interface GeluInputs {
  x: TensorInfo; // any shape, float32
  dy?: TensorInfo; // GeluBackward only: same shape
}

/** SwiGLU gate y = silu(gate) * up = gate * sigmoid(gate) * up. */
export const SwigluForward = 'SwigluForward';
/** Its gradient: [dgate, dup] = [dy up (s + gate s (1 - s)), dy gate s], s = sigmoid(gate) recomputed. */
export const SwigluBackward = 'SwigluBackward';
export interface SwigluInputs {
  gate: TensorInfo; // any shape, float32
  up: TensorInfo; // same shape
  dy?: TensorInfo; // SwigluBackward only
}

/**
 * Mean softmax cross-entropy of logits [N, V] against int32 targets [N]: outputs [loss (scalar),
 * grad [N, V]] with grad = (softmax(logits) - onehot(targets)) / N, the gradient of the mean loss.
 */
export const SoftmaxCrossEntropy = 'SoftmaxCrossEntropy';
export interface SoftmaxCrossEntropyInputs {
  logits: TensorInfo; // [N, V] float32
  targets: TensorInfo; // [N] int32
}

/**
 * RoPE on x [B, T, H, hs] with tables cos, sinSigned of T * hs values (any shape, e.g. [T, 1, hs]):
 * y[c] = x[c] cos[t, c] + x[swap(c)] sin[t, c], swap exchanging the two halves of a head.
 * With `backward` set it computes the gradient instead: dx[c] = dy[c] cos[t, c] + dy[swap(c)] sin[t, swap(c)].
 */
export const Rope = 'Rope';
export interface RopeInputs {
  x: TensorInfo; // [B, T, H, hs] float32
  cos: TensorInfo; // T * hs
  sin: TensorInfo; // T * hs, sign already applied to the first half
}
export interface RopeAttrs {
  backward: boolean;
}

/** Swaps the two middle axes: [A, B, C, D] -> [A, C, B, D] (attention heads <-> positions). Its own gradient. */
export const SwapMiddleAxes = 'SwapMiddleAxes';
export interface SwapMiddleAxesInputs {
  x: TensorInfo; // [A, B, C, D] float32
}
