// Multi-threaded tfjs-backend-wasm in a bundled browser worker.
// tfjs starts its pthread workers with a Blob holding `wasmFactoryThreadedSimd.toString()`, the
// Emscripten glue as it appears in *our* bundle; minified, that text names helpers outside the
// function ("r is not defined" in every pthread worker), so threads fail to start. This fetches the
// original glue file (served next to the .wasm files) before the backend initialises and, for the
// duration of the init, lets that one Blob carry the original text instead. Both define the same
// global factory (`var WasmBackendModuleThreadedSimd`), which is all the pthread worker calls.
// tfjs's C side also caps its pool at half of navigator.hardwareConcurrency ("two hyper-threads
// per core"), read when the module starts: during the init the property reports twice the threads
// asked for, so the pool gets them all.
// Threads need SharedArrayBuffer, i.e. a cross-origin isolated page (next.config.js sends
// COOP/COEP); anywhere else, or when the fetch fails, threads are turned off and wasm runs on one.

import type { Plan } from '../plan';
import { productWork } from '../plan-matmul-size';

/** The glue file tfjs's threaded build needs in its pthread workers (see app/tfjs-wasm). */
export const THREADED_GLUE_FILE = 'tfjs-backend-wasm-threaded-simd.js';
const BLOB_PREFIX = 'var WasmBackendModuleThreadedSimd = ';

/** Whether this context can run wasm threads at all (SharedArrayBuffer needs cross-origin isolation). */
export function canUseWasmThreads(): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
}

/**
 * Prepares the next wasm initialisation for `threads` threads: resolves to a restore function when
 * threads can work, or to undefined after turning them off (`setFlag` is tf.env().set) and saying
 * why in `why`.
 * @example
 *   const restore = await prepareWasmThreads('/tfjs-wasm/', 4, (k, v) => tf.env().set(k, v));
 *   try { await tf.setBackend('wasm'); } finally { restore?.(); }
 */
export async function prepareWasmThreads(
  wasmPaths: string,
  threads: number,
  setFlag: (name: string, value: boolean) => void,
  why: (reason: string) => void = () => {},
): Promise<(() => void) | undefined> {
  const off = (reason?: string) => {
    setFlag('WASM_HAS_MULTITHREAD_SUPPORT', false);
    if (reason) why(reason);
    return undefined;
  };
  if (threads < 2) return off();
  if (!canUseWasmThreads()) return off('the page is not cross-origin isolated (no SharedArrayBuffer)');
  let glue: string;
  try {
    const response = await fetch(wasmPaths + THREADED_GLUE_FILE);
    if (!response.ok) return off(`${THREADED_GLUE_FILE}: HTTP ${response.status}`);
    glue = await response.text();
  } catch (err) {
    return off(`${THREADED_GLUE_FILE}: ${(err as Error).message}`);
  }
  if (!glue.includes(BLOB_PREFIX.trim())) return off(`${THREADED_GLUE_FILE} does not define WasmBackendModuleThreadedSimd`);
  const NativeBlob = globalThis.Blob;
  class GlueBlob extends NativeBlob {
    constructor(parts?: BlobPart[], options?: BlobPropertyBag) {
      const first = parts?.[0];
      super(typeof first === 'string' && first.startsWith(BLOB_PREFIX) ? [glue] : parts, options);
    }
  }
  globalThis.Blob = GlueBlob;
  const nav = globalThis.navigator;
  Object.defineProperty(nav, 'hardwareConcurrency', { value: 2 * threads, configurable: true });
  return () => {
    globalThis.Blob = NativeBlob;
    delete (nav as { hardwareConcurrency?: number }).hardwareConcurrency; // the prototype's getter again
  };
}

/**
 * Below this size of the model's products (tokens per micro-batch x d_model) one thread is faster:
 * XNNPACK's hand-off to its pool costs more than it saves. Measured with bench/browser.ts on
 * 2 cores: smoke (64 tokens x d 32 = 2,048) ran at 0.68x with 2 threads, seed (1,024 x 128 =
 * 131,072) at 1.26x; again once runs read a small corpus from memory: seed 1.24x, R 1.18x.
 */
export const MIN_WORK_FOR_THREADS = 32_768;

/**
 * The thread cap for a plan when the user set none: 1 for models too small to gain, else
 * undefined (every core).
 * @example wasmThreadsFor(smokePlan) // 1
 */
export function wasmThreadsFor(plan: Plan): number | undefined {
  return productWork(plan) < MIN_WORK_FOR_THREADS ? 1 : undefined;
}
