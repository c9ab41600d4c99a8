// LayerNorm and RMSNorm, forward and backward, for cpu: one kernel each way instead of ~10
// elementwise and reduction kernels (plus two [1, N] @ [N, C] matmuls for the weight and bias
// gradients). Sums run in float64. Forward + backward of [1024, 128]: 123 -> 18 ms on cpu.
// Not registered for wasm, where the stock SIMD kernels run the composed form as fast (3.7 vs
// 3.5 ms alone, a tie inside a training step; bench/OPTIMIZATIONS.md). Formulas: ops/norms.ts.
import type { TensorInfo } from '@tensorflow/tfjs';
import { LayerNormBackward, LayerNormForward, type NormAttrs, RmsNormBackward, RmsNormForward } from '../../names';
import { jsKernelConfigs, type JsKernelDef, type OutputSpec } from '../jsKernel';

const rowsCols = (x: TensorInfo) => ({ N: x.shape[0], C: x.shape[1] });
const f32 = (shape: number[]): OutputSpec => ({ shape, dtype: 'float32' });

export const layerNormForwardDef: JsKernelDef<NormAttrs> = {
  kernelName: LayerNormForward,
  inputNames: ['x', 'weight', 'bias'],
  outputs: ([x]) => [f32(x.shape), f32(x.shape), f32([x.shape[0]])],
  compute([x, w, b], [y, xhat, rstd], [info], { eps }) {
    const { N, C } = rowsCols(info);
    for (let n = 0, row = 0; n < N; n++, row += C) {
      let sum = 0;
      for (let c = 0; c < C; c++) sum += x[row + c];
      const mean = sum / C;
      let sq = 0;
      for (let c = 0; c < C; c++) {
        const d = x[row + c] - mean;
        sq += d * d;
      }
      const r = 1 / Math.sqrt(sq / C + eps);
      rstd[n] = r;
      for (let c = 0; c < C; c++) {
        const h = (x[row + c] - mean) * r;
        xhat[row + c] = h;
        y[row + c] = h * w[c] + b[c];
      }
    }
  },
};

export const rmsNormForwardDef: JsKernelDef<NormAttrs> = {
  kernelName: RmsNormForward,
  inputNames: ['x', 'weight'],
  outputs: ([x]) => [f32(x.shape), f32(x.shape), f32([x.shape[0]])],
  compute([x, w], [y, xhat, rstd], [info], { eps }) {
    const { N, C } = rowsCols(info);
    for (let n = 0, row = 0; n < N; n++, row += C) {
      let sq = 0;
      for (let c = 0; c < C; c++) sq += x[row + c] * x[row + c];
      const r = 1 / Math.sqrt(sq / C + eps);
      rstd[n] = r;
      for (let c = 0; c < C; c++) {
        const h = x[row + c] * r;
        xhat[row + c] = h;
        y[row + c] = h * w[c];
      }
    }
  },
};

/** Shared backward: dx = rstd * (g - [mean(g)] - xhat * mean(g * xhat)), g = dy * w; column sums for dw (and db). */
function normBackward(
  dy: ArrayLike<number>, xhat: ArrayLike<number>, rstd: ArrayLike<number>, w: ArrayLike<number>,
  dx: Float32Array | Int32Array, N: number, C: number, centered: boolean,
): { dw: Float64Array; db: Float64Array } {
  const dw = new Float64Array(C);
  const db = new Float64Array(C);
  for (let n = 0, row = 0; n < N; n++, row += C) {
    let sumG = 0;
    let sumGX = 0;
    for (let c = 0; c < C; c++) {
      const d = dy[row + c];
      const h = xhat[row + c];
      const g = d * w[c];
      sumG += g;
      sumGX += g * h;
      dw[c] += d * h;
      db[c] += d;
    }
    const meanG = centered ? sumG / C : 0;
    const meanGX = sumGX / C;
    const r = rstd[n];
    for (let c = 0; c < C; c++) dx[row + c] = r * (dy[row + c] * w[c] - meanG - xhat[row + c] * meanGX);
  }
  return { dw, db };
}

export const layerNormBackwardDef: JsKernelDef<Record<string, never>> = {
  kernelName: LayerNormBackward,
  inputNames: ['dy', 'xhat', 'rstd', 'weight'],
  outputs: ([dy]) => [f32(dy.shape), f32([dy.shape[1]]), f32([dy.shape[1]])],
  compute([dy, xhat, rstd, w], [dx, dwOut, dbOut], [info]) {
    const { N, C } = rowsCols(info);
    const { dw, db } = normBackward(dy, xhat, rstd, w, dx, N, C, true);
    dwOut.set(dw);
    dbOut.set(db);
  },
};

export const rmsNormBackwardDef: JsKernelDef<Record<string, never>> = {
  kernelName: RmsNormBackward,
  inputNames: ['dy', 'xhat', 'rstd', 'weight'],
  outputs: ([dy]) => [f32(dy.shape), f32([dy.shape[1]])],
  compute([dy, xhat, rstd, w], [dx, dwOut], [info]) {
    const { N, C } = rowsCols(info);
    dwOut.set(normBackward(dy, xhat, rstd, w, dx, N, C, false).dw);
  },
};

export const normConfigs = [layerNormForwardDef, rmsNormForwardDef, layerNormBackwardDef, rmsNormBackwardDef].flatMap((d) =>
  jsKernelConfigs(d as JsKernelDef<unknown>, ['cpu']),
);
