// Registers the engine's custom tfjs kernels and gradients, once per process (STYLE.md §6).
// Ops call ensureKernelsRegistered() before their first runKernel, so importing an op is enough.
import * as tf from '@tensorflow/tfjs';
import type { GradConfig, KernelConfig } from '@tensorflow/tfjs';
import { batchMatMulLoopedGradConfig } from './grads/BatchMatMulLooped_grad';
import { batchMatMulLoopedConfig } from './kernels/wasm/BatchMatMulLooped';
import { gatherRowsConfig } from './kernels/wasm/GatherRows';
import { identitySharedConfig } from './kernels/wasm/Identity';

// Each kernel exists only for wasm: its op falls back to stock tfjs where it is not registered.
const KERNELS: KernelConfig[] = [batchMatMulLoopedConfig, gatherRowsConfig];
const GRADIENTS: GradConfig[] = [batchMatMulLoopedGradConfig];

// Stock kernels replaced by faster ones with the same results. Importing a backend package
// registers its stock kernels again, so these are checked on every call (one Map lookup each).
const OVERRIDES: KernelConfig[] = [identitySharedConfig];

let registered = false;

/** Registers every kernel and gradient above that is not registered yet (tfjs warns on repeats). */
export function ensureKernelsRegistered(): void {
  for (const k of OVERRIDES) {
    const current = tf.getKernel(k.kernelName, k.backendName);
    if (current && current.kernelFunc !== k.kernelFunc) {
      tf.unregisterKernel(k.kernelName, k.backendName);
      tf.registerKernel(k);
    }
  }
  if (registered) return;
  registered = true;
  for (const k of KERNELS) if (!tf.getKernel(k.kernelName, k.backendName)) tf.registerKernel(k);
  for (const g of GRADIENTS) if (!tf.getGradient(g.kernelName)) tf.registerGradient(g);
}
