// Adam's update of one param, shared by adam, adamw and muon's AdamW params: torch.optim.Adam(W)'s
// denom = sqrt(v) / sqrt(1 - beta2^t) + eps; p -= lr / (1 - beta1^t) * m / denom. Where the backend
// has it (wasm, cpu) one fused kernel does the whole update (engine/tf/ops/fusedAdamUpdate.ts).
import type * as tf from '@tensorflow/tfjs-core';
import { fusedAdamUpdate, hasFusedAdamUpdate } from '../../tf/ops/fusedAdamUpdate';
import type { Slots } from './define';

export interface AdamStep {
  lr: number;
  t: number; // the param's step count, from 1
  beta1: number;
  beta2: number;
  eps: number;
  decay: number; // p is multiplied by this first (adamw: 1 - lr*wd; else 1)
  l2: number; // added to the gradient times p (adam's L2 decay; else 0)
}

/** Moments and param after one step; `p` is the param after any decoupled decay. */
function adamOps(param: tf.Variable, p: tf.Tensor, g: tf.Tensor, { m, v }: Slots, a: AdamStep): void {
  m.assign(m.mul(a.beta1).add(g.mul(1 - a.beta1)));
  v.assign(v.mul(a.beta2).add(g.square().mul(1 - a.beta2)));
  const stepSize = a.lr / (1 - a.beta1 ** a.t);
  const denom = v
    .sqrt()
    .div(Math.sqrt(1 - a.beta2 ** a.t))
    .add(a.eps);
  param.assign(p.sub(m.div(denom).mul(stepSize)));
}

/** One Adam step on `param` with slots m and v. */
export function adamStep(param: tf.Variable, g: tf.Tensor, s: Slots, a: AdamStep): void {
  if (!hasFusedAdamUpdate()) {
    adamOps(param, a.decay !== 1 ? param.mul(a.decay) : param, a.l2 !== 0 ? g.add(param.mul(a.l2)) : g, s, a);
    return;
  }
  const [p, m, v] = fusedAdamUpdate(param, g, s.m, s.v, {
    beta1: a.beta1,
    beta2: a.beta2,
    eps: a.eps,
    decay: a.decay,
    l2: a.l2,
    stepSize: a.lr / (1 - a.beta1 ** a.t),
    bc2Sqrt: Math.sqrt(1 - a.beta2 ** a.t),
  });
  s.m.assign(m);
  s.v.assign(v);
  param.assign(p);
}
