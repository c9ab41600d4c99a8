// Registers the engine's custom tfjs kernels and gradients, once per process (tfjs's own layout:
// names, ops, kernels, grads, register). Ops call ensureKernelsRegistered() before their first
// runKernel, so importing an op is enough. Gradients call kernels (runKernel.ts), not ops, so no
// import runs from here back through an op to this file.
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import { installEagerGradientDisposal } from './eagerGradientDisposal';
import { batchMatMulLoopedGradConfig } from './grads/BatchMatMulLooped_grad';
import { swapMiddleAxesGradConfig } from './grads/SwapMiddleAxes_grad';
import { transposeLast2GradConfig } from './grads/TransposeLast2_grad';
import { batchMatMulLoopedConfig } from './kernels/wasm/BatchMatMulLooped';
import { batchMatMulNativeConfig, setStockBatchMatMul } from './kernels/wasm/BatchMatMulNative';
import { gatherRowsConfig } from './kernels/wasm/GatherRows';
import { identitySharedConfig } from './kernels/wasm/Identity';
import { activationConfigs } from './kernels/js/Activations';
import { fusedAdamUpdateConfigs } from './kernels/js/FusedAdamUpdate';
import { multiTensorConfigs } from './kernels/js/MultiTensor';
import { normConfigs } from './kernels/js/Norms';
import { ropeConfigs } from './kernels/js/Rope';
import { softmaxCrossEntropyConfigs } from './kernels/js/SoftmaxCrossEntropy';
import { swapMiddleAxesConfigs } from './kernels/js/SwapMiddleAxes';
import { transposeLast2Configs } from './kernels/js/TransposeLast2';

// kernels/wasm: wasm only. kernels/js: wasm (SIMD128 from engine/tf/simd, scalar fallback) and cpu
// (scalar loops), see kernels/jsKernel.ts. Where a kernel is not registered (GPU backends) its op
// falls back to the composed stock form.
const KERNELS: KernelConfig[] = [
  batchMatMulLoopedConfig,
  gatherRowsConfig,
  ...fusedAdamUpdateConfigs,
  ...multiTensorConfigs,
  ...transposeLast2Configs,
  ...normConfigs,
  ...softmaxCrossEntropyConfigs,
  ...ropeConfigs,
  ...activationConfigs,
  ...swapMiddleAxesConfigs,
];
const GRADIENTS: GradConfig[] = [batchMatMulLoopedGradConfig, transposeLast2GradConfig, swapMiddleAxesGradConfig];

// Stock kernels replaced by faster ones with the same results. Importing a backend package
// registers its stock kernels again, so these are checked on every call (one Map lookup each).
// keepStock receives the replaced kernel, for overrides that fall back to it.
const OVERRIDES: { config: KernelConfig; keepStock?: (stock: KernelFunc) => void }[] = [
  { config: identitySharedConfig },
  { config: batchMatMulNativeConfig, keepStock: setStockBatchMatMul }, // native GEMM when installed
];

let registered = false;

/**
 * Registers every kernel and gradient above that is not registered yet (tfjs warns on repeats),
 * and makes backward passes free intermediate gradients early (eagerGradientDisposal.ts).
 */
export function ensureKernelsRegistered(): void {
  for (const { config, keepStock } of OVERRIDES) {
    const current = tf.getKernel(config.kernelName, config.backendName);
    if (current && current.kernelFunc !== config.kernelFunc) {
      keepStock?.(current.kernelFunc);
      tf.unregisterKernel(config.kernelName, config.backendName);
      tf.registerKernel(config);
    }
  }
  if (registered) return;
  registered = true;
  installEagerGradientDisposal();
  for (const k of KERNELS) if (!tf.getKernel(k.kernelName, k.backendName)) tf.registerKernel(k);
  for (const g of GRADIENTS) if (!tf.getGradient(g.kernelName)) tf.registerGradient(g);
}

/**
 * Whether the active backend has kernel `name` (registering the engine's kernels first). Ops use it
 * to choose between their fused kernel and the composed fallback.
 * @example
 *   if (hasKernel(Rope)) ... else ...
 */
export function hasKernel(name: string): boolean {
  ensureKernelsRegistered();
  return tf.getKernel(name, tf.getBackend()) !== undefined;
}
