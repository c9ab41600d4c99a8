// wasm kernel for BatchMatMul that runs the products on the native GEMM when one is installed
// (engine/tf/nativeGemm.ts), and on tfjs-backend-wasm's own kernel otherwise.
// The operands are float32 views of the wasm heap, so the GEMM reads and writes them in place;
// transposes are GEMM flags (no copies), and each batch entry is one GEMM call. Broadcast batch
// dims (one side has batch 1) reuse that side's single matrix, as tfjs does.
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { nativeGemm } from '../../nativeGemm';

/** The parts of BackendWasm this kernel uses. */
interface WasmBackendInternals {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  dataIdMap: { get(dataId: object): { memoryOffset: number } };
  wasm: { HEAPU8: Uint8Array };
}

interface BatchMatMulArgs {
  inputs: { a: TensorInfo; b: TensorInfo };
  backend: unknown;
  attrs: { transposeA: boolean; transposeB: boolean };
}

let stock: KernelFunc | undefined;

/** Remembers tfjs-backend-wasm's kernel, which runs whenever no native GEMM is installed. */
export function setStockBatchMatMul(kernelFunc: KernelFunc): void {
  stock = kernelFunc;
}

const product = (dims: number[]) => dims.reduce((x, y) => x * y, 1);

/** The output's batch dims, when one native call per batch entry can compute it; else undefined. */
function batchDims(leadA: number[], leadB: number[]): number[] | undefined {
  if (leadA.length === leadB.length && leadA.every((d, i) => d === leadB[i])) return leadA;
  if (product(leadA) === 1) return leadB.length >= leadA.length ? leadB : undefined;
  if (product(leadB) === 1) return leadA.length >= leadB.length ? leadA : undefined;
  return undefined; // general broadcasting: the stock kernel handles it
}

function batchMatMulNative(args: BatchMatMulArgs): TensorInfo {
  const gemm = nativeGemm();
  const { a, b } = args.inputs;
  const lead = batchDims(a.shape.slice(0, -2), b.shape.slice(0, -2));
  if (!gemm || a.dtype !== 'float32' || b.dtype !== 'float32' || !lead) {
    if (!stock) throw new Error('BatchMatMul: the stock wasm kernel was not captured');
    return stock(args as unknown as Parameters<KernelFunc>[0]) as TensorInfo;
  }
  const { transposeA, transposeB } = args.attrs;
  const backend = args.backend as WasmBackendInternals;
  const [a1, a2] = a.shape.slice(-2);
  const [b1, b2] = b.shape.slice(-2);
  const [M, K] = transposeA ? [a2, a1] : [a1, a2];
  const [K2, N] = transposeB ? [b2, b1] : [b1, b2];
  if (K !== K2) {
    throw new Error(`BatchMatMul: inner dims differ: [${a.shape}] by [${b.shape}] (transposeA ${transposeA}, transposeB ${transposeB})`);
  }
  const batchA = product(a.shape.slice(0, -2));
  const batchB = product(b.shape.slice(0, -2));
  const batch = product(lead);
  const out = backend.makeOutput([...lead, M, N], 'float32');
  // Views are taken after makeOutput: allocating may grow the heap and detach older buffers.
  const heap = backend.wasm.HEAPU8.buffer;
  const view = (t: TensorInfo, length: number) => new Float32Array(heap, backend.dataIdMap.get(t.dataId).memoryOffset, length);
  const A = view(a, batchA * M * K);
  const B = view(b, batchB * K * N);
  const C = view(out, batch * M * N);
  if (batch === 1) {
    gemm.sgemm(transposeA, transposeB, M, N, K, A, B, C);
    return out;
  }
  for (let i = 0; i < batch; i++) {
    const ai = batchA === 1 ? A : A.subarray(i * M * K, (i + 1) * M * K);
    const bi = batchB === 1 ? B : B.subarray(i * K * N, (i + 1) * K * N);
    gemm.sgemm(transposeA, transposeB, M, N, K, ai, bi, C.subarray(i * M * N, (i + 1) * M * N));
  }
  return out;
}

export const batchMatMulNativeConfig: KernelConfig = {
  kernelName: 'BatchMatMul',
  backendName: 'wasm',
  kernelFunc: batchMatMulNative as unknown as KernelFunc,
};
