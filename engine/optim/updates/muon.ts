// muon's update (definition and sources: ../kinds/muon.ts). Hidden matrices: Nesterov momentum,
// orthogonalised by Keller Jordan's quintic Newton–Schulz iteration (in float32; modded-nanogpt runs
// it in bfloat16), scaled by √max(1, fan_out / fan_in); everything else: AdamW with its own settings.
import * as tf from '@tensorflow/tfjs-core';
import { isHiddenMatrix, muonScale } from '../kinds/muon';
import { adamStep } from './adam-step';
import type { OptimizerUpdate } from './define';

const NS_COEFFICIENTS = [3.4445, -4.775, 2.0315] as const; // a, b, c of a·X + b·(XXᵀ)X + c·(XXᵀ)²X

/**
 * About U Vᵀ of G's SVD: `steps` quintic Newton–Schulz iterations from G / (‖G‖_F + 1e-7), on the
 * wide orientation (so XXᵀ is the smaller square).
 * @example newtonSchulz5(tf.tensor2d([[3, 0], [0, 1]]), 5) // ≈ identity (each singular value → ~1)
 */
export function newtonSchulz5(G: tf.Tensor2D, steps: number): tf.Tensor2D {
  return tf.tidy(() => {
    const [a, b, c] = NS_COEFFICIENTS;
    const tall = G.shape[0] > G.shape[1];
    let X: tf.Tensor2D = tall ? G.transpose() : G;
    X = X.div(X.norm().add(1e-7)); // spectral norm at most 1
    for (let i = 0; i < steps; i++) {
      const A = X.matMul(X, false, true); // [r, r]
      const B = A.mul(b).add(A.matMul(A).mul(c));
      X = X.mul(a).add(B.matMul(X));
    }
    return tall ? X.transpose() : X;
  });
}

/** torch's lerp: start + weight · (end - start). */
const lerp = (start: tf.Tensor, end: tf.Tensor, weight: number) => start.add(end.sub(start).mul(weight));

export const muonUpdate: OptimizerUpdate = {
  update: (p, g, slots, { lr, wd, t, s, param }) => {
    const factor = lr / s.lr; // a schedule scales both learning rates alike
    if (!isHiddenMatrix(param)) {
      const adamLr = s.adam_lr * factor;
      adamStep(p, g, slots, { lr: adamLr, t, beta1: s.adam_beta1, beta2: s.adam_beta2, eps: s.adam_eps, decay: 1 - adamLr * wd, l2: 0 });
      return;
    }
    const muonLr = s.muon_lr * factor;
    const buf = slots.momentum;
    buf.assign(lerp(buf, g, 1 - s.muon_momentum));
    const u = s.muon_nesterov ? lerp(g, buf, s.muon_momentum) : buf;
    const orthogonal = newtonSchulz5(u as tf.Tensor2D, s.ns_steps);
    const decayed = wd !== 0 ? p.mul(1 - muonLr * wd) : p;
    p.assign(decayed.sub(orthogonal.mul(muonLr * muonScale(param.shape))));
  },
  check: (s, fail) => {
    if (!(s.lr > 0)) fail('lr', `must be > 0 (the schedule's lr is divided by it), got ${s.lr}`);
    for (const field of ['muon_momentum', 'adam_beta1', 'adam_beta2'] as const) {
      if (!(s[field] >= 0 && s[field] < 1)) fail(field, `must be in [0, 1), got ${s[field]}`);
    }
    if (!(Number.isInteger(s.ns_steps) && s.ns_steps >= 1)) fail('ns_steps', `must be an integer >= 1, got ${s.ns_steps}`);
    if (!(s.adam_eps >= 0)) fail('adam_eps', `must be >= 0, got ${s.adam_eps}`);
    if (!(s.adam_weight_decay >= 0)) fail('adam_weight_decay', `must be >= 0, got ${s.adam_weight_decay}`);
  },
};
