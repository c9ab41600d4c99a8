// User journey with the browser executor, in Chromium (--enable-unsafe-webgpu: WebGPU on
// SwiftShader) against the production build: choose "Browser (WebGPU)", press Run on the smoke
// template, watch the loss block fall, download a checkpoint through the checkpoint block's link
// (from memory, both files), then continue it on the Node executor (trainPipeline with resume) and
// check it picks up at the checkpoint's step.
// Run: node --import tsx --test --test-concurrency=1 e2e/browser-ui.e2e.ts
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Download } from 'playwright-core';
import { collectEvents } from '../engine/events';
import { trainPipeline } from '../engine/node/train';
import { launchBrowser, newPage, ROOT, screenshot, startApp, type App } from './harness';

let app: App;
let browser: Browser;

before(async () => {
  app = await startApp();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await app?.stop();
});

const panel = '[data-testid="run-panel"]';

test('browser run from the studio: loss falls, checkpoint downloads from memory and resumes on Node', { timeout: 90_000 }, async () => {
  const { context, page, errors } = await newPage(browser, app.url);
  await page.goto(app.url);
  await page.waitForSelector('[data-node-id="model"]');
  await page.click('[data-testid="templates"]');
  await page.click('[data-testid="template-smoke"]');
  await page.locator('.doc-name', { hasText: 'Smoke' }).waitFor();
  // Smoke: 20 steps, a checkpoint every 10 (keep_last 2, so ckpt-000010 stays to the end).
  const pipeline = JSON.parse(await page.evaluate(() => window.__studio!.documentText!())) as { training: { steps: number } };
  assert.equal(pipeline.training.steps, 20);

  await page.selectOption('[data-testid="executor"]', 'browser');
  // Every value the loss block shows, as the DOM shows it.
  await page.evaluate(() => {
    const seen: number[] = ((window as unknown as { __lossShown: number[] }).__lossShown = []);
    setInterval(() => {
      const v = document.querySelector('[data-node-id="loss"] [data-live="loss"]')?.getAttribute('data-value');
      if (v !== null && v !== undefined && Number(v) !== seen.at(-1)) seen.push(Number(v));
    }, 50);
  });
  const started = Date.now();
  await page.click('[data-testid="run-start"]');
  await page.waitForSelector(`${panel}[data-run-id^="browser-"]`);
  await page.waitForSelector('[data-testid="run-backend"][data-backend]:not([data-backend=""])', { timeout: 30_000 });
  const backend = await page.getAttribute('[data-testid="run-backend"]', 'data-backend');
  const label = await page.textContent('[data-testid="run-backend"]');
  console.log(`browser backend: ${label}`);
  assert.ok(['webgpu', 'webgl', 'wasm', 'cpu'].includes(backend!), `a tfjs backend: ${backend}`);

  // A checkpoint appears on the block while the run goes on.
  const link = page.locator('[data-node-id="checkpoint"] [data-testid="checkpoint-link"]');
  await link.waitFor({ timeout: 60_000 });
  await screenshot(page, 'browser-ui');
  // The link can be re-rendered as a newer checkpoint lands mid-click; click again if nothing came.
  const downloads: Download[] = [];
  page.on('download', (d) => void downloads.push(d));
  let name = '';
  for (let attempt = 1; downloads.length < 2; attempt++) {
    assert.ok(attempt <= 3, `two downloads (got ${downloads.map((d) => d.suggestedFilename())})`);
    downloads.length = 0;
    name = (await link.textContent())!.replace(/^⤓\s*/, '').trim();
    assert.match(name, /^ckpt-\d{6}$/);
    await link.click();
    for (const deadline = Date.now() + 5_000; downloads.length < 2 && Date.now() < deadline; ) await page.waitForTimeout(50);
  }
  const names = downloads.map((d) => d.suggestedFilename()).sort();
  assert.deepEqual(names, [`${name}.json`, `${name}.safetensors`]);
  const dir = mkdtempSync(join(tmpdir(), 'browser-ckpt-'));
  for (const d of downloads) writeFileSync(join(dir, d.suggestedFilename()), readFileSync((await d.path())!));
  const meta = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as { step: number };
  assert.equal(meta.step, Number(name.slice(5)));

  // The run completes; the loss the block showed fell.
  await page.waitForSelector(`${panel}[data-state="completed"]`, { timeout: 60_000 });
  console.log(`browser run: 20 steps in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const shown = await page.evaluate(() => (window as unknown as { __lossShown: number[] }).__lossShown);
  assert.ok(shown.length >= 3, `the loss block updated (${shown})`);
  assert.ok(shown[shown.length - 1] < shown[0], `loss fell: ${shown[0]} → ${shown[shown.length - 1]}`);
  assert.equal(await page.getAttribute(panel, 'data-step'), '20');

  // train_log.jsonl comes from the tab too.
  const [log] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="download-train-log"]')]);
  assert.equal(log.suggestedFilename(), 'train_log.jsonl');
  const lines = readFileSync((await log.path())!, 'utf8').trim().split('\n');
  assert.ok(lines.length >= 1 && lines.every((l) => typeof JSON.parse(l) === 'object'));

  // The Node executor continues the browser checkpoint for 2 more steps.
  const sink = collectEvents();
  const outcome = await trainPipeline({
    pipeline, outDir: mkdtempSync(join(tmpdir(), 'browser-resume-')), steps: meta.step + 2,
    resume: join(dir, `${name}.safetensors`), dataDir: join(ROOT, 'data'), sink,
  });
  assert.ok(outcome.compiled && outcome.result.status === 'completed', JSON.stringify(outcome.compiled ? outcome.result : outcome.diagnostics));
  const runStarted = sink.events.find((e) => e.type === 'run/started');
  assert.equal(runStarted?.step, meta.step, 'the resumed run starts at the checkpoint step');
  const steps = sink.events.filter((e) => e.type === 'step').map((e) => e.step);
  assert.deepEqual(steps, [meta.step + 1, meta.step + 2]);

  assert.deepEqual(errors, [], 'errors in the page');
  await context.close();
});
