// Forks in Chromium against the production build and the real server: on a finished node run,
// "Fork from here" at a mid-run checkpoint (run page) opens the pipeline as it was there under a
// banner naming the parent and step; a changed lr on the canvas survives a reload, Run starts the
// fork at the checkpoint step + 1 with the parent's weights; the fork's page links its parent with
// the label, overlays the parent's curves and compares with it; the parent's page lists the fork; the
// studio's checkpoint block forks the fork.
// A fork from the runs list that changes d_model is marked on the model block and never starts.
// A fork on the Browser executor trains in the tab from the server's copy of the checkpoint.
// Screenshots: E2E_SCREENSHOTS=scratch node --import tsx --test e2e/fork.e2e.ts
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { appAndBrowserPerFile, closeSession, openModel, openSession, ROOT, screenshot, type App } from './harness';

let app: App;
let browser: Browser;
appAndBrowserPerFile((a, b) => ([app, browser] = [a, b]));

const panel = '[data-testid="run-panel"]';
const banner = '[data-testid="fork-banner"]';
type LogLine = { step: number; loss?: number; lr?: number };

async function api(path: string, init?: RequestInit): Promise<any> {
  const reply = await fetch(app.url + path, init);
  assert.ok(reply.ok, `${path}: ${reply.status} ${await reply.clone().text()}`);
  return reply.json();
}

async function finished(id: string): Promise<any> {
  for (let i = 0; i < 600; i++) {
    const status = await api(`/api/runs/${id}`);
    if (!['queued', 'running'].includes(status.state)) return status;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`run ${id} did not finish`);
}

async function lossLines(id: string): Promise<LogLine[]> {
  const text = await (await fetch(`${app.url}/api/runs/${id}/log`)).text();
  return text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as LogLine)
    .filter((l) => typeof l.loss === 'number');
}

/** The smoke pipeline, 40 steps, a checkpoint every 10 kept: the parent run. */
async function parentRun(): Promise<string> {
  const pipeline = JSON.parse(readFileSync(join(ROOT, 'pipelines/smoke.json'), 'utf8'));
  pipeline.nodes.find((n: any) => n.id === 'checkpoint').params.keep_last = 5;
  const { id } = await api('/api/runs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pipeline, steps: 40 }) });
  assert.equal((await finished(id)).state, 'completed');
  return id;
}

async function setParam(page: Page, nodeId: string, field: string, value: string): Promise<void> {
  await page.click(`[data-node-id="${nodeId}"] .block-title`);
  await page.fill(`[data-testid="input-${field}"]`, value);
  await page.keyboard.press('Escape');
}

const docParam = (page: Page, nodeId: string, field: string) =>
  page.evaluate(([id, key]) => JSON.parse(window.__studio!.documentText!()).nodes.find((n: { id: string }) => n.id === id).params[key], [nodeId, field]);

test('fork a finished run at a mid-run checkpoint with another lr; the lineage on both run pages', async () => {
  const parent = await parentRun();
  const parentLosses = await lossLines(parent);
  const s = await openSession(browser, app, `${app.url}/runs/${parent}`);
  const { page } = s;
  try {
    await page.click(`.run-side [data-testid="fork-from-here"][data-checkpoint="ckpt-000020"]`);
    await page.waitForSelector(`${banner}[data-run="${parent}"][data-step="20"]`);
    assert.match(await page.locator(banner).innerText(), /ckpt-000020 · step 20/);
    assert.equal(new URL(page.url()).search, '', 'the fork is taken out of the address once open');
    await page.waitForSelector('[data-node-id="model"]');
    await setParam(page, 'scheduler', 'lr', '0.003');
    await page.waitForFunction(() => JSON.parse(window.__studio!.documentText!()).nodes.find((n: { id: string }) => n.id === 'scheduler').params.lr === 0.003);
    await screenshot(page, 'fork-banner');

    // The draft is kept with the autosave: a reload shows the same fork and the edited lr.
    await page.waitForTimeout(500);
    await page.reload();
    await page.waitForSelector(`${banner}[data-run="${parent}"][data-checkpoint="ckpt-000020"]`);
    assert.equal(await docParam(page, 'scheduler', 'lr'), 0.003);
    assert.equal(await page.isChecked('[data-testid="fork-restart-schedule"]'), false);

    await page.click('[data-testid="run-start"]');
    await page.waitForFunction(
      ([sel, p]) => {
        const id = document.querySelector(sel as string)?.getAttribute('data-run-id');
        return !!id && id !== p;
      },
      [panel, parent],
      { timeout: 30_000 },
    );
    const fork = (await page.getAttribute(panel, 'data-run-id'))!;
    await page.waitForSelector(banner, { state: 'detached' });
    assert.equal(await page.evaluate(() => localStorage.getItem('pretrain-studio:fork')), null, 'the draft is spent once the fork starts');
    const status = await finished(fork);
    assert.equal(status.state, 'completed', JSON.stringify(status.error));
    assert.deepEqual(status.parent, { run: parent, checkpoint: 'ckpt-000020', step: 20, optimizerState: 'kept' });
    await page.waitForSelector('[data-node-id="optimizer"] [data-testid="fork-optimizer-state"][data-state="kept"]', { timeout: 30_000 });

    // Step 21 is computed on the parent's weights and batch stream; the cosine continues from step 20
    // towards min_lr 0.001 with the new peak: (lr - min) shrinks by (0.003 - 0.001) / (0.01 - 0.001).
    const lines = await lossLines(fork);
    assert.equal(lines[0].step, 21);
    assert.equal(lines.at(-1)!.step, 40);
    const theirs = new Map(parentLosses.map((l) => [l.step, l]));
    assert.equal(lines[0].loss, theirs.get(21)!.loss);
    for (const line of lines) {
      const ratio = (line.lr! - 0.001) / (theirs.get(line.step)!.lr! - 0.001);
      assert.ok(Math.abs(ratio - 2 / 9) < 1e-6, `step ${line.step}: lr ${line.lr} vs the parent's ${theirs.get(line.step)!.lr}`);
    }

    // The studio's checkpoint block forks the fork in turn.
    await page.click('[data-node-id="checkpoint"] [data-testid="fork-from-here"]');
    await page.waitForSelector(`${banner}[data-run="${fork}"][data-checkpoint="ckpt-000040"][data-step="40"]`);
    await page.click('[data-testid="fork-cancel"]');
    await page.waitForSelector(banner, { state: 'detached' });

    // The fork's page: its parent, the label from the diff, the parent's curves, compare.
    await page.goto(`${app.url}/runs/${fork}`);
    await page.waitForSelector(`[data-testid="run-parent"][data-run-id="${parent}"][data-step="20"]`);
    await page.waitForFunction(
      () => /scheduler\.lr 0\.01 → 0\.003 @ step 20/.test(document.querySelector('[data-testid="run-parent-label"]')?.textContent ?? ''),
      undefined,
      { timeout: 10_000 },
    );
    await page.click('[data-testid="overlay-parent"]');
    await page.waitForSelector('.run-charts[data-parent="shown"] [data-testid="chart-loss"] .chart-key[title="parent train"]');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="chart-loss"]')?.getAttribute('data-points')) >= 20);
    await screenshot(page, 'fork-run-page');

    // The parent's page lists the fork.
    await page.click(`[data-testid="run-parent"] a[href="/runs/${parent}"]`);
    await page.waitForSelector(`[data-testid="run-children"] li[data-run-id="${fork}"]`);
    await page.goto(`${app.url}/runs/${fork}`);
    await page.click('[data-testid="compare-with-parent"]');
    await page.waitForURL((url) => url.pathname === '/compare' && url.searchParams.get('runs') === `${parent},${fork}`);
    for (const id of [parent, fork]) await page.waitForSelector(`[data-testid="compare-row"][data-run-id="${id}"]`, { timeout: 30_000 });
  } finally {
    await closeSession(s);
  }
});

test('a fork from the runs list that changes d_model is marked on the model block and does not start', async () => {
  const parent = await parentRun();
  const s = await openSession(browser, app, `${app.url}/runs`);
  const { page } = s;
  try {
    await page.waitForSelector(`[data-testid="runs-row"][data-run-id="${parent}"] [data-testid="fork-from-here"]`);
    await screenshot(page, 'fork-runs-list');
    await page.click(`[data-testid="runs-row"][data-run-id="${parent}"] [data-testid="fork-from-here"]`);
    await page.waitForSelector(`${banner}[data-run="${parent}"][data-checkpoint="ckpt-000040"][data-step="40"]`);
    // At the run's last step nothing is left to train until the schedule restarts (or steps grow).
    await page.waitForSelector('[data-testid="run-start"]:disabled');
    await page.click('[data-testid="fork-restart-schedule"]');
    await page.waitForSelector('[data-testid="run-start"]:not(:disabled)');

    // Every executor starts a fork: with Browser picked, the banner stays as it was and Run stays enabled.
    await page.selectOption('[data-testid="executor"]', 'browser');
    await page.waitForSelector('[data-testid="browser-backend"]');
    assert.ok(!(await page.isDisabled('[data-testid="run-start"]')), 'Run is enabled for a browser fork');
    assert.match(await page.locator(banner).innerText(), /Run continues at step 1 from its weights/);
    await page.selectOption('[data-testid="executor"]', 'node');
    await page.waitForSelector('[data-testid="browser-backend"]', { state: 'detached' });

    // d_model is the token embedding's, inside the model block.
    await openModel(page);
    await page.click('[data-testid="model-canvas"] [data-node-id="wte"] .block-title');
    await page.fill('[data-testid="input-d_model"]', '64');
    await page.keyboard.press('Escape');
    await page.click('[data-testid="model-back"]');
    await page.waitForSelector(banner); // back with the pipeline, the fork is still open
    await page.waitForSelector('[data-node-id="model"] [data-testid="block-errors"]');
    const onBlock = await page.locator('[data-node-id="model"] [data-testid="block-errors"]').innerText();
    assert.match(onBlock, /d_model: changes the model's parameter shapes \(32 in ckpt-000040, 64 here\)/);
    assert.ok(await page.isDisabled('[data-testid="run-start"]'), 'Run is disabled');

    // The server refuses the same submission on the same field, and creates nothing.
    const before = (await api('/api/runs')).runs.length;
    const pipeline = JSON.parse(await page.evaluate(() => window.__studio!.documentText!()));
    const reply = await fetch(`${app.url}/api/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pipeline, resume: { run: parent, checkpoint: 'ckpt-000040', restartSchedule: true } }),
    });
    const refused = { status: reply.status, body: await reply.json() };
    assert.equal(refused.status, 400);
    assert.deepEqual(
      refused.body.errors.map((e: { nodeId: string; field: string }) => [e.nodeId, e.field]),
      [['model', 'd_model']],
    );
    assert.equal((await api('/api/runs')).runs.length, before, 'nothing started');

    // Cancel: the banner and the shape error go; the pipeline stays, as a run from scratch.
    await page.click('[data-testid="fork-cancel"]');
    await page.waitForSelector(banner, { state: 'detached' });
    await page.waitForSelector('[data-node-id="model"] [data-testid="block-errors"]', { state: 'detached' });
    const model = JSON.parse(await page.evaluate(() => window.__studio!.documentText!())).nodes.find((n: { id: string }) => n.id === 'model');
    assert.equal(model.params.graph.nodes.find((n: { id: string }) => n.id === 'wte').params.d_model, 64);
    assert.equal(await page.evaluate(() => localStorage.getItem('pretrain-studio:fork')), null);
  } finally {
    await closeSession(s);
  }
});

test("a fork on the Browser executor trains in the tab from the parent's checkpoint and is recorded with its parent", async () => {
  const parent = await parentRun();
  const parentLosses = new Map((await lossLines(parent)).map((l) => [l.step, l.loss!]));
  const s = await openSession(browser, app, `${app.url}/runs/${parent}`);
  const { page } = s;
  try {
    await page.click(`.run-side [data-testid="fork-from-here"][data-checkpoint="ckpt-000020"]`);
    await page.waitForSelector(`${banner}[data-run="${parent}"][data-step="20"]`);
    await page.waitForSelector('[data-node-id="model"]');
    await page.selectOption('[data-testid="executor"]', 'browser');
    await page.selectOption('[data-testid="browser-backend"]', 'wasm');
    await page.click('[data-testid="run-start"]');
    await page.waitForFunction(
      ([sel, p]) => {
        const id = document.querySelector(sel as string)?.getAttribute('data-run-id');
        return !!id && id !== p;
      },
      [panel, parent],
      { timeout: 30_000 },
    );
    const fork = (await page.getAttribute(panel, 'data-run-id'))!;
    await page.waitForSelector(banner, { state: 'detached' });
    const status = await finished(fork);
    await screenshot(page, 'fork-browser');
    assert.equal(status.state, 'completed', JSON.stringify(status.error));
    assert.deepEqual([status.executor, status.backend], ['browser', 'wasm']);
    assert.deepEqual(status.parent, { run: parent, checkpoint: 'ckpt-000020', step: 20, optimizerState: 'kept' });

    // Step 21 is computed in the tab on the parent's weights and batch: the parent's loss there,
    // up to wasm in the tab vs wasm on the server.
    const lines = await lossLines(fork);
    assert.deepEqual([lines[0].step, lines.at(-1)!.step], [21, 40]);
    const relative = Math.abs(lines[0].loss! - parentLosses.get(21)!) / parentLosses.get(21)!;
    assert.ok(relative < 1e-5, `step 21: ${lines[0].loss} in the tab vs ${parentLosses.get(21)} on the server (relative ${relative.toExponential(2)})`);
    console.log(`browser fork at step 21: relative loss difference ${relative.toExponential(2)}`);
  } finally {
    await closeSession(s);
  }
});
