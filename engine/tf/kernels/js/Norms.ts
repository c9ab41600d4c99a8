// LayerNorm and RMSNorm, forward and backward, as one kernel each way instead of ~10 elementwise
// and reduction kernels (plus two [1, N] @ [N, C] matmuls for the weight and bias gradients).
// Only the row statistics (mean, rstd: [N]) are kept for the backward pass, which recomputes
// xhat from x, so no [N, C] normalised copy is stored.
// wasm: SIMD128 (simd/kernels.ts) when C % 4 == 0; cpu (and other C): scalar loops, sums in float64.
// Forward + backward of [1024, 128]: wasm 3.1 -> 1.2 ms, cpu 104 -> 17 ms (bench/OPTIMIZATIONS.md).
// Formulas: ops/norms.ts.
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { LayerNormBackward, LayerNormForward, type NormAttrs, RmsNormBackward, RmsNormForward } from '../../names';
import { type HostArray, jsKernelConfigs, type JsKernelDef, type OutputSpec } from '../jsKernel';

const rowsCols = (x: TensorInfo) => ({ N: x.shape[0], C: x.shape[1] });
const f32 = (shape: number[]): OutputSpec => ({ shape, dtype: 'float32' });

/** Scalar forward: y, and the row statistics (mean stays 0 for RMSNorm). */
function normForward(
  x: HostArray,
  w: HostArray,
  b: HostArray | null,
  y: HostArray,
  mean: HostArray | null,
  rstd: HostArray,
  N: number,
  C: number,
  eps: number,
): void {
  for (let n = 0, row = 0; n < N; n++, row += C) {
    let m = 0;
    if (mean) {
      let sum = 0;
      for (let c = 0; c < C; c++) sum += x[row + c];
      m = sum / C;
      mean[n] = m;
    }
    let sq = 0;
    for (let c = 0; c < C; c++) {
      const d = x[row + c] - m;
      sq += d * d;
    }
    const r = 1 / Math.sqrt(sq / C + eps);
    rstd[n] = r;
    for (let c = 0; c < C; c++) y[row + c] = (x[row + c] - m) * r * w[c] + (b ? b[c] : 0);
  }
}

/** Scalar backward: dx = rstd * (g - [mean(g)] - xhat * mean(g * xhat)), g = dy * w; column sums for dw (and db). */
function normBackward(
  dy: HostArray,
  x: HostArray,
  mean: HostArray | null,
  rstd: HostArray,
  w: HostArray,
  dx: HostArray,
  dwOut: HostArray,
  dbOut: HostArray | null,
  N: number,
  C: number,
): void {
  const dw = new Float64Array(C);
  const db = new Float64Array(C);
  for (let n = 0, row = 0; n < N; n++, row += C) {
    const m = mean ? mean[n] : 0;
    const r = rstd[n];
    let sumG = 0;
    let sumGX = 0;
    for (let c = 0; c < C; c++) {
      const d = dy[row + c];
      const h = (x[row + c] - m) * r;
      const g = d * w[c];
      sumG += g;
      sumGX += g * h;
      dw[c] += d * h;
      db[c] += d;
    }
    const meanG = mean ? sumG / C : 0;
    const meanGX = sumGX / C;
    for (let c = 0; c < C; c++) dx[row + c] = r * (dy[row + c] * w[c] - meanG - (x[row + c] - m) * r * meanGX);
  }
  dwOut.set(dw);
  dbOut?.set(db);
}

const simdShape = (x: TensorInfo) => x.shape[1] % 4 === 0;

export const layerNormForwardDef: JsKernelDef<NormAttrs> = {
  kernelName: LayerNormForward,
  inputNames: ['x', 'weight', 'bias'],
  outputs: ([x]) => [f32(x.shape), f32([x.shape[0]]), f32([x.shape[0]])],
  compute([x, w, b], [y, mean, rstd], [info], { eps }) {
    const { N, C } = rowsCols(info);
    normForward(x, w, b, y, mean, rstd, N, C, eps);
  },
  wasmSimd({ simd, inputs: [x, w, b], outputs: [y, mean, rstd], infos: [info], attrs }) {
    if (!simdShape(info)) return false;
    simd.layernorm_fwd(x, w, b, y, mean, rstd, info.shape[0], info.shape[1], attrs.eps);
    return true;
  },
};

export const rmsNormForwardDef: JsKernelDef<NormAttrs> = {
  kernelName: RmsNormForward,
  inputNames: ['x', 'weight'],
  outputs: ([x]) => [f32(x.shape), f32([x.shape[0]])],
  compute([x, w], [y, rstd], [info], { eps }) {
    const { N, C } = rowsCols(info);
    normForward(x, w, null, y, null, rstd, N, C, eps);
  },
  wasmSimd({ simd, inputs: [x, w], outputs: [y, rstd], infos: [info], attrs }) {
    if (!simdShape(info)) return false;
    simd.rmsnorm_fwd(x, w, y, rstd, info.shape[0], info.shape[1], attrs.eps);
    return true;
  },
};

export const layerNormBackwardDef: JsKernelDef<Record<string, never>> = {
  kernelName: LayerNormBackward,
  inputNames: ['dy', 'x', 'mean', 'rstd', 'weight'],
  outputs: ([dy]) => [f32(dy.shape), f32([dy.shape[1]]), f32([dy.shape[1]])],
  compute([dy, x, mean, rstd, w], [dx, dw, db], [info]) {
    const { N, C } = rowsCols(info);
    normBackward(dy, x, mean, rstd, w, dx, dw, db, N, C);
  },
  wasmSimd({ simd, inputs: [dy, x, mean, rstd, w], outputs: [dx, dw, db], infos: [info] }) {
    if (!simdShape(info)) return false;
    simd.layernorm_bwd(dy, x, mean, rstd, w, dx, dw, db, info.shape[0], info.shape[1]);
    return true;
  },
};

export const rmsNormBackwardDef: JsKernelDef<Record<string, never>> = {
  kernelName: RmsNormBackward,
  inputNames: ['dy', 'x', 'rstd', 'weight'],
  outputs: ([dy]) => [f32(dy.shape), f32([dy.shape[1]])],
  compute([dy, x, rstd, w], [dx, dw], [info]) {
    const { N, C } = rowsCols(info);
    normBackward(dy, x, null, rstd, w, dx, dw, null, N, C);
  },
  wasmSimd({ simd, inputs: [dy, x, rstd, w], outputs: [dx, dw], infos: [info] }) {
    if (!simdShape(info)) return false;
    simd.rmsnorm_bwd(dy, x, rstd, w, dx, dw, info.shape[0], info.shape[1]);
    return true;
  },
};

export const normConfigs = [layerNormForwardDef, rmsNormForwardDef, layerNormBackwardDef, rmsNormBackwardDef].flatMap((d) =>
  jsKernelConfigs(d as JsKernelDef<unknown>),
);
