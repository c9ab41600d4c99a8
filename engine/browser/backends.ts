// Picks the tfjs backend for a browser run: WebGPU, then WebGL, then WASM (SIMD), then CPU,
// keeping the reason each one before the chosen backend was skipped, so the page can say why.
// A GPU backend on a software adapter (SwiftShader, llvmpipe: the CPU emulating a GPU) is skipped
// unless it was asked for by name: WASM trains ~15× faster there (headless Chromium: 420 vs 25 tok/s).
// Browser-safe; in Node (tests) WebGPU and WebGL are simply unavailable and wasm/cpu work.
//
// engine/tf/backend.ts's useBackend starts wasm and cpu here too. WebGPU and WebGL are started
// directly: useBackend('webgpu') loads @tensorflow/tfjs-backend-webgpu with a variable specifier
// (so Node bundles need not carry it), which a browser cannot resolve; the literal imports below
// let the bundler ship each package in a chunk of its own, downloaded when that backend is tried.
import * as tf from '@tensorflow/tfjs-core';
import { useBackend, wasmThreadCount } from '../tf/backend';
import { BROWSER_BACKENDS, type BackendFallback, type BackendPreference, type BrowserBackendName, type GpuLimits } from './protocol';
import { installWebGpuKernelFixes } from '../tf/webgpuKernelFixes';
import { prepareWasmThreads } from './wasm-threads';

/** The backend a run got. */
export interface BackendChoice {
  name: BrowserBackendName;
  fallbacks: BackendFallback[];
  /** Human-readable facts about it: the GPU adapter, wasm SIMD/threads, WebGL float support. */
  detail: string;
  /** WebGPU only: the adapter's limits, for checkGpuFit (engine/browser/gpu-fit.ts). */
  limits?: GpuLimits;
}

export interface StartBackendOptions {
  /** URL prefix serving tfjs-backend-wasm's .wasm files, e.g. '/tfjs-wasm/'. */
  wasmPaths?: string;
  /** Most threads for the wasm backend (default: every core, up to 8; 1 = single-threaded). */
  wasmThreads?: number;
}

/** A software (CPU-emulated) GPU, by the words its adapter or renderer string carries. */
const SOFTWARE_GPU = /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render/i;

/**
 * The name of a software GPU adapter or renderer, or undefined for real hardware.
 * @example softwareGpu({ description: 'SwiftShader Device (Subzero)' }) // 'SwiftShader Device (Subzero)'
 * @example softwareGpu({ vendor: 'nvidia' }, false) // undefined
 */
export function softwareGpu(info: Record<string, unknown> | undefined, isFallbackAdapter = false): string | undefined {
  const text = Object.values(info ?? {})
    .filter((v): v is string => typeof v === 'string' && v !== '')
    .join(' / ');
  const match = SOFTWARE_GPU.exec(text);
  if (match) return text;
  return isFallbackAdapter ? text || 'a fallback adapter' : undefined;
}

/**
 * The backends to try for a preference: 'auto' is the whole chain, a name starts it there.
 * @example backendOrder('webgl') // ['webgl', 'wasm', 'cpu']
 */
export function backendOrder(preference: BackendPreference = 'auto'): BrowserBackendName[] {
  if (preference === 'auto') return [...BROWSER_BACKENDS];
  const start = BROWSER_BACKENDS.indexOf(preference);
  if (start < 0) throw new Error(`unknown browser backend '${String(preference)}' (expected auto, ${BROWSER_BACKENDS.join(', ')})`);
  return BROWSER_BACKENDS.slice(start);
}

/**
 * Starts the first backend of `backendOrder(preference)` that works and makes it tfjs's active one.
 * Throws only if none works (cpu always does), listing every reason.
 * @example
 *   const { name, fallbacks } = await startBrowserBackend('auto', { wasmPaths: '/tfjs-wasm/' });
 *   // name 'wasm', fallbacks [{ backend: 'webgpu', reason: 'navigator.gpu is missing ...' }, ...]
 */
export async function startBrowserBackend(preference: BackendPreference = 'auto', options: StartBackendOptions = {}): Promise<BackendChoice> {
  const fallbacks: BackendFallback[] = [];
  for (const name of backendOrder(preference)) {
    try {
      const started = await START[name]({ ...options, allowSoftware: name === preference });
      return { name, fallbacks, ...started };
    } catch (err) {
      fallbacks.push({ backend: name, reason: err instanceof Error ? err.message : String(err) });
    }
  }
  throw new Error(`no tfjs backend could start: ${fallbacks.map((f) => `${f.backend}: ${f.reason}`).join('; ')}`);
}

/** Each starter also learns whether a software GPU may be used (only when named, not under auto). */
type Starter = (options: StartBackendOptions & { allowSoftware: boolean }) => Promise<{ detail: string; limits?: GpuLimits }>;

// The slice of the WebGPU API used here (the repo's TS config carries no WebGPU types).
interface GpuAdapterLike {
  limits: GpuLimits;
  info?: { vendor?: string; architecture?: string; description?: string; device?: string; isFallbackAdapter?: boolean };
  /** Older spelling of info.isFallbackAdapter. */
  isFallbackAdapter?: boolean;
}

/** Refuses a software GPU under auto, saying why and how to use it anyway. */
function refuseSoftware(api: 'WebGPU' | 'WebGL', software: string | undefined, allowSoftware: boolean): void {
  if (software && !allowSoftware) {
    throw new Error(`software ${api} (${software}): the CPU emulates the GPU, slower than WASM; choose ${api} to use it anyway`);
  }
}
interface GpuLike {
  requestAdapter(options?: { powerPreference?: string }): Promise<GpuAdapterLike | null>;
}

/** Runs `start`, adding what tfjs said through console.warn (how it reports a failed init) to its error. */
async function withWarnings<T>(start: () => Promise<T>): Promise<T> {
  const warn = console.warn;
  let said = '';
  console.warn = (...args: unknown[]) => void (said += args.map(String).join(' ') + ' ');
  try {
    return await start();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(said ? `${message}: ${said.trim()}` : message);
  } finally {
    console.warn = warn;
  }
}

/** tf.setBackend, failing (with tfjs's reason) when it declines. */
function activate(name: BrowserBackendName): Promise<void> {
  return withWarnings(async () => {
    const ok = await tf.setBackend(name);
    await tf.ready();
    if (!ok || tf.getBackend() !== name) throw new Error('tfjs could not initialise it');
  });
}

/** The active WebGL backend's renderer string (unmasked when the browser allows), or ''. */
function webglRenderer(): string {
  const gl = (tf.backend() as { gpgpu?: { gl?: WebGLRenderingContext } }).gpgpu?.gl;
  if (!gl) return '';
  const debug = gl.getExtension('WEBGL_debug_renderer_info');
  return String(gl.getParameter(debug ? debug.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? '');
}

const START: Record<BrowserBackendName, Starter> = {
  async webgpu({ allowSoftware }) {
    const gpu = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu;
    if (!gpu) throw new Error('navigator.gpu is missing: this browser has no WebGPU, or it is off (it needs a secure context such as https or localhost)');
    // The same request tfjs makes, so the limits are those of the device it will get.
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) throw new Error('no WebGPU adapter: the GPU is blocklisted or WebGPU is disabled in this browser');
    const info = adapter.info ?? {};
    // GPUAdapterInfo's fields are getters on its prototype: a spread would copy none of them.
    const words = { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description };
    refuseSoftware('WebGPU', softwareGpu(words, !!(info.isFallbackAdapter ?? adapter.isFallbackAdapter)), allowSoftware);
    await import('@tensorflow/tfjs-backend-webgpu');
    if (!tf.findBackendFactory('webgpu')) throw new Error('tfjs-backend-webgpu did not register (navigator.gpu missing when it loaded)');
    installWebGpuKernelFixes();
    await activate('webgpu');
    const { maxStorageBufferBindingSize, maxBufferSize, maxComputeWorkgroupsPerDimension } = adapter.limits;
    return {
      detail: [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' / ') || 'WebGPU adapter',
      limits: { maxStorageBufferBindingSize, maxBufferSize, maxComputeWorkgroupsPerDimension },
    };
  },
  async webgl({ allowSoftware }) {
    const hasCanvas = typeof OffscreenCanvas !== 'undefined' || 'document' in globalThis; // worker or page
    if (!hasCanvas) throw new Error('no canvas to draw WebGL on here (no OffscreenCanvas)');
    await import('@tensorflow/tfjs-backend-webgl');
    await activate('webgl');
    const renderer = webglRenderer();
    refuseSoftware('WebGL', softwareGpu({ renderer }), allowSoftware);
    // Without float32 render targets tfjs trains in float16, which loses the updates of small steps.
    if (!tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED')) {
      throw new Error('this WebGL cannot render to float32 textures (tfjs would compute in float16)');
    }
    return { detail: `WebGL ${tf.env().getNumber('WEBGL_VERSION')}, float32${renderer ? `, ${renderer}` : ''}` };
  },
  async wasm(options) {
    // Every core for XNNPACK (tfjs would take half of them), up to 8 or the cap asked for.
    const cores = Math.max(1, globalThis.navigator?.hardwareConcurrency ?? 1);
    const wanted = Math.min(options.wasmThreads ?? 8, 8, cores);
    let noThreads = cores < 2 ? 'one core' : '';
    await import('@tensorflow/tfjs-backend-wasm'); // registers the flags prepareWasmThreads may set
    const restore = options.wasmPaths
      ? await prepareWasmThreads(
          options.wasmPaths,
          wanted,
          (flag, value) => tf.env().set(flag, value),
          (why) => (noThreads = why),
        )
      : undefined;
    try {
      // Fails when the .wasm files cannot be fetched (wasmPaths) or compiled.
      const wasmThreads = restore ? wanted : 1;
      await withWarnings(() => useBackend('wasm', { ...(options.wasmPaths ? { wasmPaths: options.wasmPaths } : {}), wasmThreads }));
    } finally {
      restore?.();
    }
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    const threads = await wasmThreadCount();
    const threading = threads > 1 ? `${threads} threads` : `1 thread${noThreads ? ` (${noThreads})` : ''}`;
    return { detail: `${simd ? 'SIMD' : 'no SIMD'}, ${threading}` };
  },
  async cpu() {
    await useBackend('cpu');
    return { detail: 'plain JavaScript' };
  },
};
