// The study's Chromium rows: bundles page-entry.ts with esbuild, serves it cross-origin isolated
// (with tfjs's .wasm files) and trains each row in a fresh headless Chromium page.
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { inputsToJson, type StudyInputs, type StudyResult } from './study-inputs';

// WebGPU rows train fewer steps: without a GPU Chromium's adapter is SwiftShader, where tfjs takes
// most of a minute per step of R.
// jax-js's wasm device runs a pool of navigator.hardwareConcurrency workers when the page is
// cross-origin isolated (SharedArrayBuffer), else one thread: the row without isolation compares it
// with the engine's one thread (the studio's choice for R).
const ROWS: Array<{ impl: 'engine' | 'jax'; device: string; maxSteps?: number; isolated?: false }> = [
  { impl: 'engine', device: 'wasm' },
  { impl: 'jax', device: 'wasm', isolated: false },
  { impl: 'jax', device: 'wasm' },
  { impl: 'engine', device: 'webgpu', maxSteps: 6 },
  { impl: 'jax', device: 'webgpu', maxSteps: 6 },
];

async function bundle(): Promise<string> {
  const out = await build({
    entryPoints: [new URL('./page-entry.ts', import.meta.url).pathname],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'chrome120',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'error',
  });
  return out.outputFiles[0].text;
}

function serve(script: string): Promise<{ server: Server; url: string }> {
  const wasmDir = join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  const page = '<!doctype html><meta charset="utf-8"><script type="module" src="/study.js"></script>';
  const server = createServer((req, res) => {
    const isolate = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
    const name = (req.url ?? '/').split('?')[0];
    if (name === '/') return res.writeHead(200, { ...isolate, 'Content-Type': 'text/html' }).end(page);
    if (name === '/not-isolated') return res.writeHead(200, { 'Content-Type': 'text/html' }).end(page);
    if (name === '/study.js') return res.writeHead(200, { ...isolate, 'Content-Type': 'text/javascript' }).end(script);
    const wasm = /^\/tfjs-wasm\/([\w.-]+\.wasm)$/.exec(name);
    if (wasm) return res.writeHead(200, { ...isolate, 'Content-Type': 'application/wasm' }).end(readFileSync(join(wasmDir, wasm[1])));
    res.writeHead(404).end();
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({ server, url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/` });
    }),
  );
}

export async function browserRows(inputs: StudyInputs, keep: (r: StudyResult) => void): Promise<void> {
  const { server, url } = await serve(await bundle());
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--enable-unsafe-webgpu', '--no-sandbox'],
  });
  try {
    for (const row of ROWS) {
      const page = await browser.newPage();
      await page.goto(row.isolated === false ? `${url}not-isolated` : url);
      await page.waitForFunction(() => typeof window.__study === 'function');
      const rowInputs = { ...inputs, batches: inputs.batches.slice(0, row.maxSteps ?? inputs.batches.length) };
      keep(await page.evaluate(([impl, device, json]) => window.__study(impl, device, json), [row.impl, row.device, inputsToJson(rowInputs)] as const));
      await page.close();
    }
  } finally {
    await browser.close();
    server.close();
  }
}
