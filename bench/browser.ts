// `npm run bench:browser`: tokens/s of the browser executor per backend (WebGPU, WebGL, WASM) in
// Debian's headless Chromium, through the real worker path (app/browser-test drives the same
// engine/browser worker the studio uses), next to the node executor on the same pipeline.
// Eval, sampling and checkpoints are pushed past the last step so only the training loop is timed.
// Without a GPU, Chromium's WebGPU is SwiftShader and its WebGL is software GL: both run on the CPU.
//
// "wasm" runs as a browser run would (threads chosen by engine/browser/wasm-threads.ts), "wasm-1t"
// on one thread, "wasm-mt" on every core.
// "node" is the node executor as a server run trains (matmuls on OpenBLAS when it loads), "node-noblas"
// the same without the native BLAS (XNNPACK's SIMD kernels, what the browser's WASM path also runs).
// --pipeline R times config R of `npm run bench` (smoke's loop with R's model and batch, bundled corpus).
// Usage: node --import tsx bench/browser.ts [--pipeline smoke|seed|R] [--steps 30] [--backends webgpu,webgl,wasm,wasm-1t,wasm-mt,node,node-noblas]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { launchBrowser, newPage, ROOT, startApp } from '../e2e/harness';
import { benchBrowserPipeline, median, timedSteps as timed } from './browser-rows';

const { values } = parseArgs({
  options: {
    pipeline: { type: 'string', default: 'smoke' },
    steps: { type: 'string', default: '30' },
    backends: { type: 'string', default: 'webgpu,webgl,wasm,wasm-mt,node,node-noblas' },
  },
});
const steps = Number(values.steps);
const pipeline = benchBrowserPipeline(ROOT, values.pipeline!);
const pipelineFile = join(mkdtempSync(join(tmpdir(), 'bench-browser-')), 'pipeline.json');
writeFileSync(pipelineFile, JSON.stringify(pipeline));

/** A node-executor row in a child process: "node" with the native BLAS, "node-noblas" on XNNPACK. */
function nodeRow(backend: string): Row {
  const env = backend === 'node-noblas' ? { ...process.env, PRETRAIN_BLAS: 'off' } : process.env;
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/browser-node-row.ts'), '--pipeline', pipelineFile, '--steps', String(steps)], {
    env,
    encoding: 'utf8',
    cwd: ROOT,
    maxBuffer: 1 << 26,
  });
  if (run.status !== 0) throw new Error(`${backend}: ${run.stderr.slice(-800)}`);
  return { executor: backend, ...JSON.parse(run.stdout.trim().split('\n').pop()!) };
}

/** The three WASM rows run the same backend; their labels say how its threads were chosen. */
const WASM_ROW_NOTES: Record<string, string> = { wasm: ' (as a run picks)', 'wasm-1t': ' (1 thread)', 'wasm-mt': ' (every core)' };

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
    if (backend === 'node' || backend === 'node-noblas') {
      rows.push(nodeRow(backend));
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
      if (report.result.status !== 'completed')
        throw new Error(`browser ${backend}: run ${report.result.status}: ${JSON.stringify(report.result).slice(0, 500)}`);
      rows.push({
        executor: `browser ${report.backend?.name ?? backend}${WASM_ROW_NOTES[backend] ?? ''}`,
        detail: report.backend?.detail ?? '',
        tokensPerSec: median(timed(report.steps).map((s) => s.tokens_per_sec)),
        stepMs: median(timed(report.steps).map((s) => s.step_ms)),
      });
    }
    const r = rows.at(-1)!;
    console.log(`${r.executor.padEnd(32)} ${Math.round(r.tokensPerSec).toString().padStart(7)} tok/s  ${r.stepMs.toFixed(1)} ms/step  ${r.detail}`);
  }
} finally {
  await browser.close();
  await app.stop();
}

const node = rows.find((r) => r.executor === 'node');
const noBlas = rows.find((r) => r.executor === 'node-noblas');
const ratio = (r: Row, to?: Row) => (to ? (r.tokensPerSec / to.tokensPerSec).toFixed(2) : '');
console.log(`\n${values.pipeline}, ${steps} steps (median of steps 4..${steps - 1})\n`);
console.log('| executor | tok/s | ms/step | ÷ node | ÷ node without BLAS | detail |\n|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.executor} | ${Math.round(r.tokensPerSec)} | ${r.stepMs.toFixed(1)} | ${ratio(r, node)} | ${ratio(r, noBlas)} | ${r.detail} |`);
}
