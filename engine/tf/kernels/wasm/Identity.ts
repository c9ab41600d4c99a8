// wasm kernel for Identity (tf.clone) that shares the input's buffer instead of copying it.
// Why: tfjs clones every tensor it saves for the backward pass (customGrad's save(), and the
// inputs a registered gradient keeps), and the stock wasm Identity copies the data: ~110 copies
// of activations and weights per training step of the reference config. Tensors are immutable,
// so a clone can share the buffer with a reference count, exactly as Reshape does on wasm and as
// the cpu and webgl backends implement Identity.
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

/** The parts of BackendWasm this kernel uses. */
interface WasmBackendInternals {
  incRef(dataId: object): void;
}

function identityShared(args: { inputs: { x: TensorInfo }; backend: unknown }): TensorInfo {
  const { x } = args.inputs;
  if (x.dtype === 'string') throw new Error('Identity: string tensors are not supported by this kernel');
  (args.backend as WasmBackendInternals).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

export const identitySharedConfig: KernelConfig = {
  kernelName: 'Identity',
  backendName: 'wasm',
  kernelFunc: identityShared as unknown as KernelFunc,
};
