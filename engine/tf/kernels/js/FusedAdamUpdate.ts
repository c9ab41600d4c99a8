// FusedAdamUpdate for cpu: one pass over p, g, m, v instead of ~12 elementwise kernels (and their
// temporaries) per parameter: 92 -> 8 ms per step for the 427k parameters of config R.
// Not registered for wasm: there the 12 SIMD kernels take ~4 ms and this scalar loop ~5 ms
// (bench/OPTIMIZATIONS.md). The moments are rounded to float32 before they feed the parameter
// update, as torch stores exp_avg / exp_avg_sq in float32 first.
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
};

export const fusedAdamUpdateConfigs = jsKernelConfigs(fusedAdamUpdateDef, ['cpu']);
