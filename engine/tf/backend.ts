// Picks and initialises a tfjs backend by name, the same way in Node, a worker and the browser.
// Browser-safe: optional backends are loaded with dynamic imports, so a bundle only pulls in
// what is used and a missing optional package fails here with a clear message.
import * as tf from '@tensorflow/tfjs';

/** Backends the engine knows how to start. */
export type BackendName = 'wasm' | 'cpu' | 'webgl' | 'webgpu' | 'tensorflow';

/** Where to load a backend's optional package from; webgpu and tensorflow are not dependencies. */
const OPTIONAL_PACKAGES: Partial<Record<BackendName, string>> = {
  webgpu: '@tensorflow/tfjs-backend-webgpu',
  tensorflow: '@tensorflow/tfjs-node',
};

export interface UseBackendOptions {
  /** Browser only: URL prefix serving the tfjs-backend-wasm `.wasm` files (Node finds them itself). */
  wasmPaths?: string;
}

/**
 * Makes `name` the active tfjs backend and waits until it is ready.
 * Returns the backend actually in use (tfjs may fall back when initialisation fails, e.g. no WebGL).
 * @example
 *   const active = await useBackend('wasm'); // 'wasm'
 */
export async function useBackend(name: BackendName, opts: UseBackendOptions = {}): Promise<string> {
  if (name === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    if (opts.wasmPaths) wasm.setWasmPaths(opts.wasmPaths);
  } else if (name === 'webgpu' || name === 'tensorflow') {
    const pkg = OPTIONAL_PACKAGES[name]!;
    try {
      // A variable specifier keeps bundlers and tsc from requiring the optional package.
      await import(/* webpackIgnore: true */ pkg);
    } catch (err) {
      throw new Error(`backend '${name}' needs the optional package ${pkg}, which is not installed (${String(err)})`);
    }
  }
  // cpu and webgl are registered by the @tensorflow/tfjs bundle itself.
  const ok = await tf.setBackend(name);
  await tf.ready();
  if (!ok) throw new Error(`tfjs could not initialise the '${name}' backend (now using '${tf.getBackend()}')`);
  if (name === 'cpu') {
    // The cpu backend prints a "install tfjs-node" banner on first use in Node; we chose cpu on purpose.
    (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  }
  return tf.getBackend();
}
