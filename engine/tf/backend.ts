// Picks and initialises a tfjs backend by name, the same way in Node, a worker and the browser.
// Browser-safe: optional backends are loaded with dynamic imports, so a bundle only pulls in
// what is used and a missing optional package fails here with a clear message. Host extras
// (Node: OpenBLAS matmuls, wasm threads, WebGPU on Dawn) are plugged in with setBackendHost by
// engine/node/backend.ts, so this file imports nothing host-specific.
import * as tf from '@tensorflow/tfjs-core';
import { ensureKernelsRegistered } from './register';
import { setNativeGemm, type NativeGemm } from './nativeGemm';
import { installWebGpuKernelFixes } from './webgpuKernelFixes';

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
  /**
   * Node only: XNNPACK threads for wasm (matmuls and convolutions run on a worker_threads pool).
   * Default: the PRETRAIN_WASM_THREADS environment variable, else 1 (off). Takes effect the first
   * time the wasm backend initialises in the process; browsers decide threads themselves.
   */
  wasmThreads?: number;
  /**
   * Node only: run the wasm backend's matmuls on a native BLAS when one loads (engine/node/blas.ts;
   * PRETRAIN_BLAS=off turns it off for the process). Default true; false keeps XNNPACK.
   */
  nativeBlas?: boolean;
}

/** What a host adds to backend start-up; the browser adds nothing. */
export interface BackendHost {
  /** Makes the wasm backend's XNNPACK pool start `threads` threads; `restore` undoes temporary patches. */
  enableWasmThreads?(threads: number, setFlag: (flag: string, value: boolean) => void): { restore(): void } | undefined;
  /** A native GEMM for the wasm backend's matmuls, or undefined when none loads. */
  loadNativeGemm?(): Promise<NativeGemm | undefined>;
  /** Makes `navigator.gpu` available before tfjs-backend-webgpu loads. */
  installWebGpu?(): Promise<void>;
}

let host: BackendHost = {};

/**
 * Plugs a host's extras into useBackend (engine/node/backend.ts does it for Node).
 * @example setBackendHost({ loadNativeGemm: loadNodeBlas });
 */
export function setBackendHost(extras: BackendHost): void {
  host = extras;
}

/** The thread count asked for: the option, else PRETRAIN_WASM_THREADS, else 1. */
function wantedWasmThreads(opts: UseBackendOptions): number {
  if (opts.wasmThreads !== undefined) return opts.wasmThreads;
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const n = Number(env?.PRETRAIN_WASM_THREADS ?? 1);
  return Number.isInteger(n) && n >= 1 ? n : 1;
}

/**
 * Makes `name` the active tfjs backend and waits until it is ready.
 * Returns the backend actually in use (tfjs may fall back when initialisation fails, e.g. no WebGL).
 * In Node, 'webgpu' runs on Dawn through the `webgpu` package (see engine/node/webgpu.ts for how the
 * adapter is chosen and PRETRAIN_WEBGPU_OPTIONS).
 * @example
 *   const active = await useBackend('wasm'); // 'wasm'
 *   await useBackend('wasm', { wasmThreads: 4 }); // Node: XNNPACK on 4 threads (first init only)
 *   await useBackend('wasm', { nativeBlas: false }); // Node: matmuls on XNNPACK even where OpenBLAS loads
 */
export async function useBackend(name: BackendName, opts: UseBackendOptions = {}): Promise<string> {
  let restore: (() => void) | undefined;
  if (name === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    if (opts.wasmPaths) wasm.setWasmPaths(opts.wasmPaths);
    const threads = wantedWasmThreads(opts);
    // Only the first initialisation reads the thread settings; later calls reuse that backend.
    if (threads > 1 && !backendInitialised('wasm')) {
      wasm.setThreadsCount(threads);
      restore = host.enableWasmThreads?.(threads, (flag, value) => tf.env().set(flag, value))?.restore;
    }
    setNativeGemm(opts.nativeBlas === false ? undefined : await host.loadNativeGemm?.());
  } else if (name === 'webgpu' || name === 'tensorflow') {
    if (name === 'webgpu') await host.installWebGpu?.();
    const pkg = OPTIONAL_PACKAGES[name]!;
    try {
      // A variable specifier keeps bundlers and tsc from requiring the optional package; a bundle
      // that ships it (bench/gpu-pack-worker.ts) has registered the backend already.
      if (!tf.findBackendFactory(name)) await import(/* webpackIgnore: true */ pkg);
    } catch (err) {
      throw new Error(`backend '${name}' needs the optional package ${pkg}, which is not installed (${String(err)})`);
    }
    if (name === 'webgpu' && !tf.findBackendFactory('webgpu')) {
      throw new Error("backend 'webgpu': no WebGPU here (navigator.gpu is missing), so tfjs-backend-webgpu did not register");
    }
    if (name === 'webgpu') installWebGpuKernelFixes(); // tfjs-webgpu's AddN is wrong past 7 inputs
  } else if (name === 'webgl') {
    await import('@tensorflow/tfjs-backend-webgl'); // loaded when chosen, so a bundle ships it apart
  } else if (name === 'cpu') {
    await import('@tensorflow/tfjs-backend-cpu');
  }
  let ok: boolean;
  try {
    ok = await tf.setBackend(name);
    await tf.ready();
  } finally {
    restore?.();
  }
  if (!ok) throw new Error(`tfjs could not initialise the '${name}' backend (now using '${tf.getBackend()}')`);
  if (!tf.getGradient('Add')) {
    // tfjs-core registers no gradients by itself; each host does (engine/node/tfjs.ts, engine/browser/tfjs.ts).
    throw new Error('tfjs has no gradients registered here: import engine/node/tfjs.ts (Node) or engine/browser/tfjs.ts (a browser worker) first');
  }
  ensureKernelsRegistered(); // the engine's kernels, and the overrides the backend package just replaced
  if (name === 'cpu') {
    // The cpu backend prints a "install tfjs-node" banner on first use in Node; we chose cpu on purpose.
    (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  }
  return tf.getBackend();
}

/** Whether tfjs has already created the backend instance `name` (its settings are then fixed). */
function backendInitialised(name: string): boolean {
  return (tf.engine() as unknown as { registry: Record<string, unknown> }).registry[name] !== undefined;
}

/**
 * Threads the wasm backend's XNNPACK pool runs on (1 when single-threaded); call after useBackend('wasm').
 * @example
 *   await useBackend('wasm', { wasmThreads: 2 }); await wasmThreadCount(); // 2 in Node >= 20.16
 */
export async function wasmThreadCount(): Promise<number> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  try {
    return Math.max(1, wasm.getThreadsCount());
  } catch {
    return 1; // not initialised
  }
}
