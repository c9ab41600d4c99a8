// The WebGPU row's worker as bench/gpu-pack.ts bundles it: bench/engine-worker.ts with
// tfjs-backend-webgpu imported here, by a name the bundler sees (the engine loads that optional
// package by a variable name, which a bundle cannot follow). When no adapter is found the worker's
// own attempt fails again and reports why, as it does unbundled.
import { installNodeWebGpu } from '../engine/node/webgpu';

try {
  await installNodeWebGpu(); // navigator.gpu first: the backend registers only where it exists
  await import('@tensorflow/tfjs-backend-webgpu');
} catch {
  // reported by the worker below
}
await import('./engine-worker');
