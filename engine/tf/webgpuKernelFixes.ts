// Fixes to tfjs-backend-webgpu 4.22 kernels that training trips over, installed when a browser
// run starts on WebGPU (backends.ts).
//
// AddN: the stock kernel binds every input as its own storage buffer in one shader, but a device
// allows only maxStorageBuffersPerShaderStage (8 unless asked for more, and tfjs does not ask), so
// tf.addN over 8+ tensors (clip's global norm sums one square-sum per parameter) fails validation
// and silently yields garbage (a norm of 0, so clipping scales every gradient wrongly). tfjs's own
// Concat kernel already splits its inputs the same way; this does it for AddN: sum chunks of at
// most (limit - 1) inputs, then sum the partial sums.
// TODO: move to engine/tf/kernels/webgpu/ + register.ts so Node's --backend webgpu gets it too.
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

/** The part of tfjs-backend-webgpu's WebGPUBackend used here. */
interface WebGpuBackendLike {
  device: { limits: { maxStorageBuffersPerShaderStage: number } };
  disposeData(dataId: object): void;
}

let stockAddN: KernelFunc | undefined;

/** AddN that never binds more input buffers than the device allows. */
const chunkedAddN: KernelFunc = (args) => {
  const inputs = args.inputs as unknown as TensorInfo[];
  const backend = args.backend as unknown as WebGpuBackendLike;
  const maxInputs = Math.max(2, backend.device.limits.maxStorageBuffersPerShaderStage - 1); // one binding is the output
  if (inputs.length <= maxInputs) return stockAddN!(args);
  const partials: TensorInfo[] = [];
  for (let i = 0; i < inputs.length; i += maxInputs) {
    const chunk = inputs.slice(i, i + maxInputs);
    // A chunk of one is passed through as is (the stock kernel would copy it).
    partials.push(chunk.length === 1 ? chunk[0] : (stockAddN!({ ...args, inputs: chunk as unknown as tf.NamedTensorInfoMap }) as TensorInfo));
  }
  const sum = chunkedAddN({ ...args, inputs: partials as unknown as tf.NamedTensorInfoMap }) as TensorInfo;
  for (const p of partials) if (!inputs.includes(p)) backend.disposeData(p.dataId);
  return sum;
};

/**
 * Replaces the webgpu kernels listed above with fixed ones; call after tfjs-backend-webgpu loaded.
 * Idempotent.
 * @example
 *   await import('@tensorflow/tfjs-backend-webgpu'); installWebGpuKernelFixes(); await tf.setBackend('webgpu');
 */
export function installWebGpuKernelFixes(): void {
  const current = tf.getKernel('AddN', 'webgpu');
  if (!current || current.kernelFunc === chunkedAddN) return;
  stockAddN = current.kernelFunc;
  tf.unregisterKernel('AddN', 'webgpu');
  const config: KernelConfig = { kernelName: 'AddN', backendName: 'webgpu', kernelFunc: chunkedAddN };
  tf.registerKernel(config);
}
