// useBackend in Node: the engine's backend selection (engine/tf/backend.ts) with the Node extras
// plugged in: the wasm backend's matmuls on OpenBLAS (blas.ts), XNNPACK threads (wasm-threads.ts)
// and WebGPU on Dawn (webgpu.ts). Node code imports useBackend from here, which also sets tfjs up
// for Node (tfjs.ts: tfjs-core with its gradients).
import './tfjs';
import { setBackendHost } from '../tf/backend';
import { loadNodeBlas } from './blas';
import { enableWasmThreadsInNode } from './wasm-threads';
import { installNodeWebGpu } from './webgpu';

setBackendHost({
  loadNativeGemm: loadNodeBlas,
  enableWasmThreads: enableWasmThreadsInNode,
  installWebGpu: async () => void (await installNodeWebGpu()),
});

export { useBackend, wasmThreadCount, type BackendName, type UseBackendOptions } from '../tf/backend';
