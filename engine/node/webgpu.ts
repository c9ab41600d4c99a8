// WebGPU for tfjs-backend-webgpu in Node, through the `webgpu` npm package (Dawn's node binding),
// so a server can use its GPU without tfjs-node. Browser-safe: the package is loaded with a
// dynamic import of a variable specifier, and nothing happens where navigator.gpu already exists.
//
// tfjs-backend-webgpu registers itself only if globalThis.navigator.gpu exists when it is first
// imported, and it uses the WebGPU constants (GPUBufferUsage, ...) as globals; both are set here.
// Adapter choice (the first that yields an adapter wins):
//   1. PRETRAIN_WEBGPU_OPTIONS, when set: whitespace-separated Dawn options such as
//      "backend=vulkan" or "adapter=NVIDIA ..." (see the webgpu package's README), plus our own
//      "featureLevel=compatibility" (asks for a compatibility-mode adapter, needed for OpenGL ES);
//   2. Dawn's default (Vulkan on Linux, Metal on macOS, D3D12 on Windows);
//   3. on Linux: OpenGL ES in compatibility mode on a surfaceless EGL display, which works without
//      a window system (Mesa's llvmpipe on a machine without a GPU: correct, but slow).

/** Where the adapter came from, for messages and the bench. */
export interface NodeWebGpuInfo {
  options: string[]; // Dawn options passed to create()
  featureLevel?: 'compatibility';
  adapter: string; // vendor / architecture / description as Dawn reports them
}

interface WebGpuModule {
  create(options: string[]): GpuLike;
  globals: Record<string, unknown>;
}
interface GpuLike {
  requestAdapter(options?: Record<string, unknown>): Promise<AdapterLike | null>;
}
interface AdapterLike {
  info?: { vendor?: string; architecture?: string; description?: string; device?: string };
}

/** Parses PRETRAIN_WEBGPU_OPTIONS-style text: Dawn options, and featureLevel=compatibility for us. */
export function parseWebGpuOptions(text: string): { options: string[]; featureLevel?: 'compatibility' } {
  const options: string[] = [];
  let featureLevel: 'compatibility' | undefined;
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (word === 'featureLevel=compatibility') featureLevel = 'compatibility';
    else options.push(word);
  }
  return { options, ...(featureLevel ? { featureLevel } : {}) };
}

type Env = Record<string, string | undefined>;

/** The adapter attempts in order (see the header), for this platform and environment. */
export function webGpuAttempts(platform: string, env: Env): { options: string[]; featureLevel?: 'compatibility' }[] {
  if (env.PRETRAIN_WEBGPU_OPTIONS?.trim()) return [parseWebGpuOptions(env.PRETRAIN_WEBGPU_OPTIONS)];
  const attempts: { options: string[]; featureLevel?: 'compatibility' }[] = [{ options: [] }];
  if (platform === 'linux') attempts.push({ options: ['backend=opengles'], featureLevel: 'compatibility' });
  return attempts;
}

let installed: Promise<NodeWebGpuInfo | undefined> | undefined;

/**
 * Makes `navigator.gpu` available in Node (once per process) so tfjs-backend-webgpu can register.
 * Resolves to the adapter found, or undefined in a browser (nothing to do there). Throws when the
 * `webgpu` package is missing or no adapter can be found, naming what was tried.
 * @example
 *   await installNodeWebGpu(); // then import('@tensorflow/tfjs-backend-webgpu') and tf.setBackend('webgpu')
 */
export function installNodeWebGpu(): Promise<NodeWebGpuInfo | undefined> {
  installed ??= install();
  return installed;
}

async function install(): Promise<NodeWebGpuInfo | undefined> {
  const g = globalThis as { navigator?: { gpu?: unknown }; process?: { versions?: { node?: string }; platform?: string; env?: Env } };
  if (g.navigator?.gpu || !g.process?.versions?.node) return undefined;
  const env = g.process.env ?? {};
  const spec = 'webgpu';
  let mod: WebGpuModule;
  try {
    mod = (await import(/* webpackIgnore: true */ spec)) as WebGpuModule;
  } catch (err) {
    throw new Error(`backend 'webgpu' in Node needs the npm package webgpu (Dawn), which could not be loaded (${String(err)})`);
  }
  Object.assign(globalThis, mod.globals);
  const tried: string[] = [];
  for (const attempt of webGpuAttempts(g.process.platform ?? '', env)) {
    // Mesa's EGL needs a platform when there is no window system; surfaceless needs none.
    if (attempt.options.includes('backend=opengles') || attempt.options.includes('backend=opengl')) env.EGL_PLATFORM ??= 'surfaceless';
    const label = [...attempt.options, ...(attempt.featureLevel ? [`featureLevel=${attempt.featureLevel}`] : [])].join(' ') || '(Dawn default)';
    let gpu: GpuLike;
    let adapter: AdapterLike | null = null;
    try {
      gpu = mod.create(attempt.options);
      adapter = await gpu.requestAdapter(attempt.featureLevel ? { featureLevel: attempt.featureLevel } : {});
    } catch (err) {
      tried.push(`${label}: ${String(err)}`);
      continue;
    }
    if (!adapter) {
      tried.push(`${label}: no adapter`);
      continue;
    }
    if (attempt.featureLevel) {
      // tfjs asks for an adapter with its own options, which do not include the feature level.
      const request = gpu.requestAdapter.bind(gpu);
      gpu.requestAdapter = (options = {}) => request({ ...options, featureLevel: attempt.featureLevel });
    }
    if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
    else g.navigator = { gpu };
    const i = adapter.info ?? {};
    return {
      options: attempt.options,
      ...(attempt.featureLevel ? { featureLevel: attempt.featureLevel } : {}),
      adapter: [i.vendor, i.architecture, i.device, i.description].filter(Boolean).join(' / ') || 'unknown adapter',
    };
  }
  installed = undefined; // let a later call (e.g. after fixing drivers or options) try again
  throw new Error(
    `backend 'webgpu': no WebGPU adapter found in Node (tried ${tried.join('; ')}). ` +
      'Set PRETRAIN_WEBGPU_OPTIONS (e.g. "backend=vulkan") or install Mesa (libegl-mesa0, libgles2) or GPU drivers.',
  );
}
