// GlobalNorm and ScaleAll: gradient clipping over every gradient in two kernel calls, where the
// composed form takes a square, a sum and a multiply per gradient (~70 kernel calls for config R,
// each with tfjs's bookkeeping, and a squared copy of every gradient).
import { GlobalNorm, ScaleAll } from '../../names';
import { util } from '@tensorflow/tfjs-core';
import { jsKernelConfigs, type JsKernelDef } from '../jsKernel';

type NoAttrs = Record<string, never>;

export const globalNormDef: JsKernelDef<NoAttrs> = {
  kernelName: GlobalNorm,
  inputNames: [],
  variadic: true,
  outputs: () => [{ shape: [], dtype: 'float32' }],
  compute(inputs, [out]) {
    let sum = 0;
    for (const x of inputs) for (let i = 0; i < x.length; i++) sum += x[i] * x[i];
    out[0] = Math.sqrt(sum);
  },
  wasmSimd({ simd, inputs, outputs: [out], infos, heap }) {
    let sum = 0;
    inputs.forEach((x, i) => (sum += simd.sumsq(x, util.sizeFromShape(infos[i].shape))));
    heap.f32(out, 1)[0] = Math.sqrt(sum);
    return true;
  },
};

export const scaleAllDef: JsKernelDef<NoAttrs> = {
  kernelName: ScaleAll,
  inputNames: ['coef'],
  variadic: true,
  outputs: ([, ...xs]) => xs.map((x) => ({ shape: x.shape, dtype: 'float32' as const })),
  compute([coef, ...xs], outs) {
    const c = coef[0];
    xs.forEach((x, k) => {
      const y = outs[k];
      for (let i = 0; i < x.length; i++) y[i] = x[i] * c;
    });
  },
  wasmSimd({ simd, inputs: [coef, ...xs], outputs, infos: [, ...xInfos], heap }) {
    xs.forEach((x, k) => {
      const n = util.sizeFromShape(xInfos[k].shape);
      if (n >= 4) return simd.scale(x, coef, outputs[k], n);
      const [src, dst, c] = [heap.f32(x, n), heap.f32(outputs[k], n), heap.f32(coef, 1)[0]];
      for (let i = 0; i < n; i++) dst[i] = src[i] * c;
    });
    return true;
  },
};

export const multiTensorConfigs = [globalNormDef, scaleAllDef].flatMap((d) => jsKernelConfigs(d));
