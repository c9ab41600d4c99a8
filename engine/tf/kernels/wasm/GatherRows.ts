// wasm kernel for GatherRows: copies whole rows straight on the wasm heap.
// Why: the stock wasm GatherV2 kernel computes every element's source index separately and takes
// ~5 ms to look up 1024 rows of 128 floats, about as long as a [1024,128]@[128,128] matmul.
// Copying C contiguous floats per row with TypedArray.copyWithin takes ~0.05 ms.
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { GatherRows, type GatherRowsInputs } from '../../names';

/** The parts of BackendWasm this kernel uses (not exported by tfjs-backend-wasm's typings). */
interface WasmBackendInternals {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  dataIdMap: { get(dataId: object): { memoryOffset: number } };
  wasm: { HEAPF32: Float32Array; HEAP32: Int32Array };
}

function gatherRows(args: { inputs: GatherRowsInputs; backend: unknown }): TensorInfo {
  const { table, ids } = args.inputs;
  const backend = args.backend as WasmBackendInternals;
  if (table.dtype !== 'float32' || table.shape.length !== 2) throw new Error('GatherRows: table must be float32 [V, C]');
  if (ids.dtype !== 'int32' || ids.shape.length !== 1) throw new Error('GatherRows: ids must be int32 [N]');
  const [V, C] = table.shape;
  const N = ids.shape[0];
  const out = backend.makeOutput([N, C], 'float32');
  // Offsets in elements (all buffers are 4-byte aligned). Views are taken after makeOutput,
  // because allocating may grow the heap and detach earlier views.
  const heapF = backend.wasm.HEAPF32;
  const idx = backend.wasm.HEAP32;
  const tableAt = backend.dataIdMap.get(table.dataId).memoryOffset / 4;
  const idsAt = backend.dataIdMap.get(ids.dataId).memoryOffset / 4;
  const outAt = backend.dataIdMap.get(out.dataId).memoryOffset / 4;
  for (let n = 0; n < N; n++) {
    const row = idx[idsAt + n];
    if (!(row >= 0 && row < V)) throw new Error(`GatherRows: index ${row} at position ${n} is outside [0, ${V})`);
    heapF.copyWithin(outAt + n * C, tableAt + row * C, tableAt + (row + 1) * C);
  }
  return out;
}

export const gatherRowsConfig: KernelConfig = {
  kernelName: GatherRows,
  backendName: 'wasm',
  kernelFunc: gatherRows as unknown as KernelFunc,
};
