// User journey with the browser executor, in Chromium (--enable-unsafe-webgpu: WebGPU on
// SwiftShader) against the production build: choose "Browser (this tab)", press Run on the smoke
// template, watch the loss block fall, download a checkpoint through the checkpoint block's link
// (from memory, both files). The server records the run as the tab trains it: after a reload the
// run is still there, from the server (its curve, its checkpoint, which downloads from the
// server). Then "Continue on server" on the checkpoint block starts a server run from the
// recorded checkpoint, which picks up at its step + 1; the runs page lists both runs, the browser
// one with executor browser, and overlays their loss curves.
// Run: node --import tsx --test --test-concurrency=1 e2e/browser-ui.e2e.ts
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Browser, Download } from 'playwright-core';
import { appAndBrowserPerFile, newPage, screenshot, type App } from './harness';

type Status = {
  id: string;
  executor: string;
  backend: string;
  state: string;
  step: number;
  lastCheckpoint?: string;
  resumedFrom?: { run?: string; name: string; step: number; executor: string };
};

let app: App;
let browser: Browser;
appAndBrowserPerFile((a, b) => ([app, browser] = [a, b]));

const panel = '[data-testid="run-panel"]';

test(
  'browser run from the studio: loss falls, recorded on the server, still there after a reload, continues on the server, compared on /runs',
  { timeout: 180_000 },
  async () => {
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
    await page.waitForSelector(`${panel}[data-executor="browser"]`);
    const browserRunId = (await page.getAttribute(panel, 'data-run-id'))!;
    assert.match(browserRunId, /^[0-9a-z]{13}$/, "the server recorded the run: its id is the server's");
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
      for (const deadline = Date.now() + 5_000; downloads.length < 2 && Date.now() < deadline;) await page.waitForTimeout(50);
    }
    const names = downloads.map((d) => d.suggestedFilename()).sort();
    // A newer checkpoint may land between reading the link and clicking it: the two files are one checkpoint's.
    name = names[0].replace(/\.json$/, '');
    assert.match(name, /^ckpt-\d{6}$/);
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
    const logText = readFileSync((await log.path())!, 'utf8');
    const lines = logText.trim().split('\n');
    assert.ok(lines.length >= 1 && lines.every((l) => typeof JSON.parse(l) === 'object'));

    // The server's record: the tab's events, log and checkpoints (stored before the events that name them).
    const get = async (path: string) => (await fetch(`${app.url}${path}`)).text();
    let recorded = JSON.parse(await get(`/api/runs/${browserRunId}`)) as Status;
    // The tab sends its last batch as the run ends: give it a moment to land.
    for (const deadline = Date.now() + 10_000; recorded.state !== 'completed' && Date.now() < deadline;) {
      await page.waitForTimeout(100);
      recorded = JSON.parse(await get(`/api/runs/${browserRunId}`)) as Status;
    }
    assert.deepEqual(
      [recorded.executor, recorded.backend, recorded.state, recorded.step, recorded.lastCheckpoint],
      ['browser', backend, 'completed', 20, 'ckpt-000020'],
    );
    assert.equal(await get(`/api/runs/${browserRunId}/log`), logText, "train_log.jsonl on the server is the tab's");
    const fromServer = new Uint8Array(await (await fetch(`${app.url}/api/runs/${browserRunId}/checkpoints/${name}`)).arrayBuffer());
    assert.deepEqual(fromServer, new Uint8Array(readFileSync(join(dir, `${name}.safetensors`))), `${name} on the server is the one the tab wrote`);

    // A reload: the run is still shown, now from the server (replayed through the socket).
    const lossBefore = await page.getAttribute('[data-node-id="loss"] [data-live="loss"]', 'data-value');
    await page.reload();
    await page.waitForSelector(`${panel}[data-run-id="${browserRunId}"][data-executor="browser"][data-state="completed"][data-step="20"]`, { timeout: 30_000 });
    await page.waitForSelector(`[data-node-id="loss"] [data-live="loss"][data-value="${lossBefore}"]`);
    assert.equal(await page.locator('[data-testid="run-recording"]').count(), 0, 'not marked as unrecorded');
    // Its checkpoint now downloads from the server (the weights, as for any server run).
    assert.equal(await link.getAttribute('href'), `/api/runs/${browserRunId}/checkpoints/ckpt-000020`);
    const [fromLink] = await Promise.all([page.waitForEvent('download'), link.click()]);
    assert.equal(fromLink.suggestedFilename(), `${browserRunId}-ckpt-000020.safetensors`);
    assert.deepEqual(
      new Uint8Array(readFileSync((await fromLink.path())!)),
      new Uint8Array(await (await fetch(`${app.url}/api/runs/${browserRunId}/checkpoints/ckpt-000020`)).arrayBuffer()),
    );
    await screenshot(page, 'browser-ui-reloaded');

    // Continue on the server: 4 more steps from the browser run's newest checkpoint, which the server
    // holds already. Nothing selected, the inspector shows the pipeline's settings.
    await page.click('[data-testid="tab-inspector"]');
    await page.keyboard.press('Escape');
    await page.fill('[data-testid="input-training-steps"]', '24');
    await page.waitForFunction(() => JSON.parse(window.__studio!.documentText!()).training.steps === 24);
    const newest = (await link.textContent())!.replace(/^⤓\s*/, '').trim();
    const at = Number(newest.slice(5));
    assert.equal(at, 20, "the block shows the run's last checkpoint");
    await screenshot(page, 'browser-ui-continue');
    await page.click('[data-node-id="checkpoint"] [data-testid="checkpoint-continue"]');
    const serverPanel = `${panel}[data-executor="node"]`;
    await page.waitForSelector(serverPanel, { timeout: 15_000 });
    const runId = (await page.getAttribute(serverPanel, 'data-run-id'))!;
    await page.waitForSelector(`${serverPanel}[data-state="completed"]`, { timeout: 60_000 });
    assert.equal(await page.getAttribute(panel, 'data-step'), '24');
    assert.equal(await page.textContent('[data-testid="run-origin"]'), ` · from ${newest}`);
    assert.equal(
      await page.getAttribute('[data-testid="run-origin"]', 'title'),
      `Continues the browser checkpoint ${newest} (run ${browserRunId}) from step ${at + 1}`,
    );
    assert.equal(await page.inputValue('[data-testid="executor"]'), 'node', 'the next Run trains on the server too');
    await screenshot(page, 'browser-ui-continued');

    // The server's record of it: started at the checkpoint, first logged step after it.
    const status = JSON.parse(await get(`/api/runs/${runId}`)) as Status;
    assert.equal(status.executor, 'node');
    assert.deepEqual(status.resumedFrom, { run: browserRunId, name: newest, step: at, executor: 'browser' });
    const events = (await get(`/api/runs/${runId}/events`))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; step: number; data: { resumedFrom?: string } });
    const runStarted = events.find((e) => e.type === 'run/started')!;
    assert.deepEqual([runStarted.step, runStarted.data.resumedFrom], [at, newest], 'the server run starts at the checkpoint step');
    const serverLog = (await get(`/api/runs/${runId}/log`))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { step: number; loss: number });
    assert.deepEqual(
      serverLog.map((l) => l.step),
      [at + 1, at + 2, at + 3, at + 4],
    );
    // The loss block shows the server run's last loss.
    const shownLoss = Number(await page.getAttribute('[data-node-id="loss"] [data-live="loss"]', 'data-value'));
    assert.ok(
      Math.abs(shownLoss - serverLog.at(-1)!.loss) <= 1e-6 * Math.abs(serverLog.at(-1)!.loss),
      `loss block ${shownLoss} vs the server's ${serverLog.at(-1)!.loss}`,
    );

    // The runs page lists the browser run, executor browser, beside the server run; both curves overlay.
    await page.click('[data-testid="runs-link"]');
    const browserRow = `[data-testid="runs-row"][data-run-id="${browserRunId}"]`;
    await page.waitForSelector(`${browserRow}[data-state="completed"]`);
    assert.equal((await page.textContent(`${browserRow} [data-testid="runs-executor"]`))!.trim(), `browser · ${backend}`);
    assert.equal((await page.textContent(`[data-testid="runs-row"][data-run-id="${runId}"] [data-testid="runs-executor"]`))!.trim(), 'node · wasm');
    await page.locator(`${browserRow} [data-testid="runs-compare"]`).check();
    await page.locator(`[data-testid="runs-row"][data-run-id="${runId}"] [data-testid="runs-compare"]`).check();
    await page.waitForSelector('[data-testid="overlay"][data-runs="2"]');
    // The chart counts the points of its first curve: the browser run's 20 steps, replayed from the server.
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="chart-overlay"]')?.getAttribute('data-points')) === 20);
    await screenshot(page, 'browser-ui-runs');
    // Its page: the recorded run on its graph, its checkpoint from the server.
    await page.click(`${browserRow} [data-testid="runs-open"]`);
    await page.waitForSelector(`${panel}[data-run-id="${browserRunId}"][data-state="completed"]`);
    assert.equal(await page.getAttribute('[data-testid="side-checkpoint"]', 'href'), `/api/runs/${browserRunId}/checkpoints/ckpt-000020`);
    await screenshot(page, 'browser-ui-run-page');

    // The browser backend select: a run asked to start on WASM runs there.
    await page.goto(app.url);
    await page.waitForSelector('[data-node-id="model"]');
    await page.selectOption('[data-testid="executor"]', 'browser');
    await page.selectOption('[data-testid="browser-backend"]', 'wasm');
    await page.click('[data-testid="run-start"]');
    const wasmPanel = `${panel}[data-executor="browser"]:not([data-run-id="${browserRunId}"])`;
    await page.waitForSelector(`${wasmPanel} [data-testid="run-backend"][data-backend="wasm"]`, { timeout: 30_000 });
    await page.waitForSelector(`${wasmPanel}[data-state="completed"]`, { timeout: 60_000 });

    assert.deepEqual(errors, [], 'errors in the page');
    await context.close();
  },
);
