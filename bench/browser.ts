// `npm run bench:browser`: tokens/s of the browser executor per backend (WebGPU, WebGL, WASM) in
// Debian's headless Chromium, through the real worker path (app/browser-test drives the same
// engine/browser worker the studio uses), next to the node executor on the same pipeline.
// Eval, sampling and checkpoints are pushed past the last step so only the training loop is timed.
// Without a GPU, Chromium's WebGPU is SwiftShader and its WebGL is software GL: both run on the CPU.
//
// "wasm" runs as a browser run would (threads chosen by engine/browser/wasm-threads.ts), "wasm-1t"
// on one thread, "wasm-mt" on every core.
// Usage: node --import tsx bench/browser.ts [--pipeline smoke|seed] [--steps 30] [--backends webgpu,webgl,wasm,wasm-1t,wasm-mt,node]
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { launchBrowser, newPage, ROOT, startApp } from '../e2e/harness';
import type { Pipeline } from '../engine/pipeline/schema';
import { trainPipeline } from '../engine/node/train';

const { values } = parseArgs({
  options: {
    pipeline: { type: 'string', default: 'smoke' },
    steps: { type: 'string', default: '30' },
    backends: { type: 'string', default: 'webgpu,webgl,wasm,wasm-mt,node' },
  },
});
const steps = Number(values.steps);
const pipeline = JSON.parse(readFileSync(join(ROOT, 'pipelines', `${values.pipeline}.json`), 'utf8')) as Pipeline;
for (const node of pipeline.nodes) {
  if (node.type === 'eval' || node.type === 'sample' || node.type === 'checkpoint') node.params = { ...node.params, every: 1_000_000 };
  if (node.type === 'checkpoint') node.params = { ...node.params, at_end: false };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
/** Steps 4..n-1: the first steps compile shaders and warm caches; the last one may include teardown. */
const timed = <T>(xs: T[]) => xs.slice(3, -1);

interface Row {
  executor: string;
  detail: string;
  tokensPerSec: number;
  stepMs: number;
}
const rows: Row[] = [];
const app = await startApp();
const browser = await launchBrowser();
try {
  for (const backend of values.backends!.split(',')) {
    if (backend === 'node') {
      const perStep: { tps: number; ms: number }[] = [];
      let detail = '';
      await trainPipeline({
        pipeline, outDir: mkdtempSync(join(tmpdir(), 'bench-browser-node-')), backend: 'wasm', steps,
        sink: {
          emit(e) {
            if (e.type === 'run/started') detail = `wasm${e.data.matmul ? `, matmuls on ${e.data.matmul}` : ''}`;
            if (e.type === 'step') perStep.push({ tps: e.data.tokens_per_sec, ms: e.data.step_ms });
          },
        },
      });
      rows.push({ executor: 'node', detail, tokensPerSec: median(timed(perStep).map((s) => s.tps)), stepMs: median(timed(perStep).map((s) => s.ms)) });
    } else {
      const { context, page } = await newPage(browser, app.url);
      await page.goto(`${app.url}/browser-test`);
      await page.waitForFunction(() => !!window.__browserTest);
      const [name, threads] = backend === 'wasm-1t' ? ['wasm', 1] : backend === 'wasm-mt' ? ['wasm', 8] : [backend, undefined];
      const report = await page.evaluate(
        ([b, p, s, t]) => window.__browserTest!.run({ backend: b as 'webgpu' | 'webgl' | 'wasm', pipeline: p, steps: s, ...(t ? { wasmThreads: t } : {}) }),
        [name, pipeline, steps, threads] as const,
      );
      await context.close();
      if (report.result.status !== 'completed') throw new Error(`browser ${backend}: run ${report.result.status}: ${JSON.stringify(report.result).slice(0, 500)}`);
      rows.push({
        executor: `browser ${report.backend?.name ?? backend}`, detail: report.backend?.detail ?? '',
        tokensPerSec: median(timed(report.steps).map((s) => s.tokens_per_sec)), stepMs: median(timed(report.steps).map((s) => s.step_ms)),
      });
    }
    const r = rows.at(-1)!;
    console.log(`${r.executor.padEnd(16)} ${Math.round(r.tokensPerSec).toString().padStart(7)} tok/s  ${r.stepMs.toFixed(1)} ms/step  ${r.detail}`);
  }
} finally {
  await browser.close();
  await app.stop();
}

const node = rows.find((r) => r.executor === 'node');
console.log(`\n${values.pipeline}, ${steps} steps (median of steps 4..${steps - 1})\n`);
console.log('| executor | tok/s | ms/step | ÷ node | detail |\n|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.executor} | ${Math.round(r.tokensPerSec)} | ${r.stepMs.toFixed(1)} | ${node ? (r.tokensPerSec / node.tokensPerSec).toFixed(2) : ''} | ${r.detail} |`);
}
