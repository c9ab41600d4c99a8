// FusedAdamUpdate: one pass over p, g, m, v instead of ~12 elementwise kernels (and their
// temporaries) per parameter. For the 427k parameters of config R: wasm (SIMD128, f32) 4.7 ->
// 0.9 ms per step; cpu (scalar, float64 inside, moments rounded to float32 before they feed the
// update as torch stores them) 119 -> 7.5 ms (bench/OPTIMIZATIONS.md).
import { FusedAdamUpdate, type FusedAdamUpdateAttrs } from '../../names';
import { jsKernelConfigs, type JsKernelDef } from '../jsKernel';

export const fusedAdamUpdateDef: JsKernelDef<FusedAdamUpdateAttrs> = {
  kernelName: FusedAdamUpdate,
  inputNames: ['p', 'g', 'm', 'v'],
  outputs: ([p]) => [0, 1, 2].map(() => ({ shape: p.shape, dtype: 'float32' as const })),
  compute([p, g, m, v], [pOut, mOut, vOut], _infos, a) {
    const { beta1, beta2, eps, decay, l2, stepSize, bc2Sqrt } = a;
    const c1 = 1 - beta1;
    const c2 = 1 - beta2;
    const fround = Math.fround;
    for (let i = 0; i < p.length; i++) {
      const pi = p[i];
      const gi = l2 === 0 ? g[i] : fround(g[i] + l2 * pi);
      const mi = fround(beta1 * m[i] + c1 * gi);
      const vi = fround(beta2 * v[i] + c2 * gi * gi);
      mOut[i] = mi;
      vOut[i] = vi;
      pOut[i] = decay * pi - (stepSize * mi) / (Math.sqrt(vi) / bc2Sqrt + eps);
    }
  },
  wasmSimd({ simd, inputs: [p, g, m, v], outputs: [pOut, mOut, vOut], infos: [info], attrs: a }) {
    const n = info.shape.reduce((x, y) => x * y, 1);
    if (n < 4) return false;
    simd.adam(p, g, m, v, pOut, mOut, vOut, n, a.beta1, a.beta2, a.eps, a.decay, a.l2, a.stepSize, a.bc2Sqrt);
    return true;
  },
};

export const fusedAdamUpdateConfigs = jsKernelConfigs(fusedAdamUpdateDef);
