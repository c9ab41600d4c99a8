// wasm kernel for BatchMatMulLooped: runs each batch entry through the backend's XNNPACK path.
// Why: tfjs-backend-wasm 4.x sends every matmul with batch > 1 (attention: [B*nH, T, hs]) to a
// naive scalar loop, ~10x slower than XNNPACK, which it only uses for batch == 1 without
// transposes. Here each batch entry is a zero-copy *view* into the inputs' and output's heap
// buffers, registered under a fresh tensor id, and fed to the same exported C function
// (`BatchMatMul`) with shapes [1, M, K] @ [1, K, N]. The views are unregistered right after;
// unregistering also frees the XNNPACK operator cached on them. Nothing is copied.
// Relies on BackendWasm internals (dataIdMap, dataIdNextNumber, wasm.tfjs.registerTensor,
// wasm.tfjs.disposeData) of tfjs-backend-wasm 4.22; BatchMatMulLooped.test.ts pins the behaviour.
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { BatchMatMulLooped, type BatchMatMulLoopedInputs } from '../../names';

/** The parts of BackendWasm this kernel uses (not exported by tfjs-backend-wasm's typings). */
interface WasmBackendInternals {
  dataIdNextNumber: number;
  dataIdMap: { get(dataId: object): { id: number; memoryOffset: number } };
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  wasm: {
    cwrap(name: string, ret: null, args: string[]): WasmMatMul;
    tfjs: { registerTensor(id: number, size: number, offset: number): void; disposeData(id: number): void };
  };
}

type WasmMatMul = (
  aId: number,
  aShape: Uint8Array,
  aRank: number,
  bId: number,
  bShape: Uint8Array,
  bRank: number,
  transposeA: boolean,
  transposeB: boolean,
  outId: number,
) => void;

// One cwrap per wasm module instance (a backend re-initialisation brings a new module).
const wrapped = new WeakMap<object, WasmMatMul>();

function wasmMatMul(backend: WasmBackendInternals): WasmMatMul {
  let f = wrapped.get(backend.wasm);
  if (!f) {
    f = backend.wasm.cwrap('BatchMatMul', null, ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number']);
    wrapped.set(backend.wasm, f);
  }
  return f;
}

const shapeBytes = (shape: number[]) => new Uint8Array(new Int32Array(shape).buffer);

function batchMatMulLooped(args: { inputs: BatchMatMulLoopedInputs; backend: unknown }): TensorInfo {
  const { a, b } = args.inputs;
  const backend = args.backend as WasmBackendInternals;
  if (a.dtype !== 'float32' || b.dtype !== 'float32') throw new Error('BatchMatMulLooped: float32 only');
  if (a.shape.length !== 3 || b.shape.length !== 3 || a.shape[0] !== b.shape[0] || a.shape[2] !== b.shape[1]) {
    throw new Error(`BatchMatMulLooped: need [b, M, K] @ [b, K, N], got [${a.shape}] @ [${b.shape}]`);
  }
  const [batch, M, K] = a.shape;
  const N = b.shape[2];
  const out = backend.makeOutput([batch, M, N], 'float32');
  const aBase = backend.dataIdMap.get(a.dataId).memoryOffset;
  const bBase = backend.dataIdMap.get(b.dataId).memoryOffset;
  const outBase = backend.dataIdMap.get(out.dataId).memoryOffset;
  const matMul = wasmMatMul(backend);
  const { registerTensor, disposeData } = backend.wasm.tfjs;
  const aShape = shapeBytes([1, M, K]);
  const bShape = shapeBytes([1, K, N]);
  for (let i = 0; i < batch; i++) {
    const aId = backend.dataIdNextNumber++;
    const bId = backend.dataIdNextNumber++;
    const outId = backend.dataIdNextNumber++;
    registerTensor(aId, M * K, aBase + 4 * i * M * K); // view of a[i]: [M, K]
    registerTensor(bId, K * N, bBase + 4 * i * K * N); // view of b[i]: [K, N]
    registerTensor(outId, M * N, outBase + 4 * i * M * N); // view of out[i]: [M, N]
    matMul(aId, aShape, 3, bId, bShape, 3, false, false, outId);
    disposeData(aId);
    disposeData(bId); // also deletes the XNNPACK operator cached for this b
    disposeData(outId);
  }
  return out;
}

export const batchMatMulLoopedConfig: KernelConfig = {
  kernelName: BatchMatMulLooped,
  backendName: 'wasm',
  kernelFunc: batchMatMulLooped as unknown as KernelFunc,
};
