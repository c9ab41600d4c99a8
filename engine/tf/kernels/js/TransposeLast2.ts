// TransposeLast2: the matmul gradients transpose a dozen operands per step, and the stock
// Transpose kernels compute every element's source index through generic n-d strides.
// wasm: SIMD128 4 x 4 tiles when both dims are multiples of 4 ([1024, 128]: 0.66 -> 0.14 ms;
// 64 x [64, 64]: 0.32 -> 0.09 ms); cpu and other shapes: a cache-blocked scalar copy (cpu
// [1024, 128]: 9.1 -> 0.4 ms; bench/OPTIMIZATIONS.md).
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { TransposeLast2 } from '../../names';
import { type HostArray, jsKernelConfigs, type JsKernelDef } from '../jsKernel';

const BLOCK = 64; // a 64 x 64 tile of floats (16 KB) stays in L1 while it is copied

/** out[j, i] = x[i, j] for each [M, N] matrix of a batch. */
export function transposeBatch(x: HostArray, out: HostArray, batch: number, M: number, N: number): void {
  const size = M * N;
  for (let b = 0; b < batch; b++) {
    const base = b * size;
    for (let j0 = 0; j0 < N; j0 += BLOCK) {
      const j1 = Math.min(j0 + BLOCK, N);
      for (let i0 = 0; i0 < M; i0 += BLOCK) {
        const i1 = Math.min(i0 + BLOCK, M);
        for (let j = j0; j < j1; j++) {
          let dst = base + j * M + i0;
          let src = base + i0 * N + j;
          for (let i = i0; i < i1; i++, src += N) out[dst++] = x[src];
        }
      }
    }
  }
}

const last2 = (x: TensorInfo) => {
  const r = x.shape.length;
  return { M: x.shape[r - 2], N: x.shape[r - 1], batch: x.shape.slice(0, -2).reduce((a, b) => a * b, 1) };
};

export const transposeLast2Def: JsKernelDef<Record<string, never>> = {
  kernelName: TransposeLast2,
  inputNames: ['x'],
  outputs: ([x]) => {
    const { M, N } = last2(x);
    return [{ shape: [...x.shape.slice(0, -2), N, M], dtype: x.dtype as 'float32' | 'int32' }];
  },
  compute([x], [out], [info]) {
    const { M, N, batch } = last2(info);
    transposeBatch(x, out, batch, M, N);
  },
  wasmSimd({ simd, inputs: [x], outputs: [out], infos: [info] }) {
    const { M, N, batch } = last2(info);
    if (M % 4 !== 0 || N % 4 !== 0) return false;
    simd.transpose(x, out, batch, M, N);
    return true;
  },
};

export const transposeLast2Configs = jsKernelConfigs(transposeLast2Def);
