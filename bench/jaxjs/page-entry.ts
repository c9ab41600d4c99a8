// The study's page: window.__study(impl, device, inputs) trains in the tab and returns a StudyResult.
// Bundled by study.ts with esbuild; the engine runs on tfjs (startBrowserBackend), jax-js on its own.
import type { Device } from '@jax-js/jax';
import { startBrowserBackend } from '../../engine/browser/backends';
import { inputsFromJson, type StudyResult } from './study-inputs';
import { trainEngine } from './train-engine';
import { trainJax } from './train-jax';

declare global {
  interface Window {
    __study: (impl: 'engine' | 'jax', device: string, inputs: unknown) => Promise<StudyResult>;
  }
}

window.__study = async (impl, device, json) => {
  const inputs = inputsFromJson(json);
  try {
    if (impl === 'jax') return await trainJax(inputs, device as Device, 'chromium');
    const started = await startBrowserBackend(device as 'wasm' | 'webgpu' | 'webgl', { wasmPaths: '/tfjs-wasm/', wasmThreads: 1 });
    return await trainEngine(inputs, `${started.name} (${started.detail})`, 'chromium');
  } catch (err) {
    return { impl, device, where: 'chromium', losses: [], stepMs: [], error: err instanceof Error ? err.message : String(err) };
  }
};
