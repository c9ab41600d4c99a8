// A browser sweep in Chromium: two learning rates of the smoke pipeline, launched from the toolbar
// with the Browser executor (WASM); the tab trains the points one after another, each recorded on
// the server, while the compare view it opened fills in with both runs and their lr. Then a longer
// sweep stopped from the compare view: the point training in the tab stops, the other is cancelled;
// and one whose tab goes away: both points interrupted at once, as the compare view then shows.
// Run: node --import tsx --test --test-concurrency=1 e2e/browser-sweep.e2e.ts
// Screenshots: E2E_SCREENSHOTS=scratch node --import tsx --test e2e/browser-sweep.e2e.ts
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { appAndBrowserPerFile, closeSession, loadSmoke, openSession, screenshot, type App } from './harness';

let app: App;
let browser: Browser;
appAndBrowserPerFile((a, b) => ([app, browser] = [a, b]));

const LRS = [2e-3, 5e-3];
const json = async (path: string) => (await fetch(app.url + path)).json();

/** The sweep once the server says `state` (the tab shows a point's end before its last batch is posted). */
async function sweepIn(id: string, state: string): Promise<any> {
  for (let i = 0; ; i++) {
    const sweep = await json(`/api/sweeps/${id}`);
    if (sweep.state === state) return sweep;
    assert.ok(i < 150, `the sweep is still ${sweep.state}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The smoke pipeline on the canvas, the Browser executor on WASM, a sweep of `lr` over LRS; launched. */
async function launchBrowserSweep(page: Page, steps: number): Promise<{ sweepId: string; runs: string[] }> {
  await loadSmoke(page, steps);
  await page.selectOption('[data-testid="executor"]', 'browser');
  await page.selectOption('[data-testid="browser-backend"]', 'wasm');
  await page.click('[data-node-id="scheduler"] .block-title');
  await page.click('[data-testid="sweep-lr"]');
  await page.fill('[data-testid="sweep-values"]', LRS.join(', '));
  await page.click('[data-testid="sweep-apply"]');
  assert.equal(await page.isDisabled('[data-testid="sweep-launch"]'), false, 'a browser sweep can be launched');
  await page.click('[data-testid="sweep-launch"]');
  await page.waitForURL(/\/compare\?runs=.*&sweep=/);
  const url = new URL(page.url());
  return { sweepId: url.searchParams.get('sweep')!, runs: url.searchParams.get('runs')!.split(',') };
}

test('a browser sweep of two learning rates: trained one after another in the tab, compared live', { timeout: 240_000 }, async () => {
  const s = await openSession(browser, app, app.url);
  const { page } = s;
  try {
    const { sweepId, runs } = await launchBrowserSweep(page, 10);
    assert.equal(runs.length, 2);
    await page.waitForSelector('[data-testid="compare"][data-runs="2"]');
    const sweep = await json(`/api/sweeps/${sweepId}`);
    assert.equal(sweep.executor, 'browser');

    await page.waitForFunction(
      () => {
        const states = [...document.querySelectorAll('[data-testid="compare-row"] [data-col="state"]')];
        return states.length === 2 && states.every((c) => /completed/i.test(c.textContent ?? ''));
      },
      null,
      { timeout: 180_000 },
    );
    await page.waitForFunction(
      () => [...document.querySelectorAll('[data-testid="compare-chart"]')].every((c) => Number(c.getAttribute('data-points')) > 0),
      null,
      { timeout: 30_000 },
    );

    // Both recorded on the server as browser runs on WASM, the second started once the first had ended.
    await sweepIn(sweepId, 'completed');
    const [first, second] = await Promise.all(runs.map((id) => json(`/api/runs/${id}`)));
    for (const [i, status] of [first, second].entries()) {
      assert.deepEqual([status.executor, status.backend, status.state, status.step], ['browser', 'wasm', 'completed', 10]);
      assert.deepEqual(status.sweep, { id: sweepId, values: { 'scheduler.lr': LRS[i] } });
      const log = (await (await fetch(`${app.url}/api/runs/${status.id}/log`)).text())
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      assert.ok(Math.abs(Math.max(...log.map((l) => l.lr)) - LRS[i]) < 1e-9, `point ${i} trained with lr ${LRS[i]}`);
    }
    assert.ok(second.startedAt >= first.finishedAt, `one after another: ${first.finishedAt} then ${second.startedAt}`);

    // The table names each run's lr, its executor and a best val loss (smoke evaluates at step 10).
    const table = page.locator('[data-testid="compare-table"]');
    for (const lr of LRS) assert.match((await table.textContent()) ?? '', new RegExp(`scheduler\\.lr=${lr}`));
    assert.deepEqual(
      (await table.locator('[data-col="executor"]').allTextContents()).map((t) => /browser/.test(t)),
      [true, true],
    );
    await page.waitForFunction(
      () => [...document.querySelectorAll('[data-testid="compare-row"] [data-col="bestValLoss"]')].every((c) => /^\d+\.\d+ @ 10$/.test(c.textContent ?? '')),
      null,
      { timeout: 30_000 },
    );
    assert.equal(await page.locator('[data-testid="sweep-stop"]').count(), 0, 'nothing left to stop');
    await screenshot(page, 'browser-sweep');
  } finally {
    await closeSession(s);
  }
});

test("stopping a browser sweep from the compare view stops the tab's run and cancels the rest", { timeout: 180_000 }, async () => {
  const s = await openSession(browser, app, app.url);
  const { page } = s;
  try {
    const { sweepId, runs } = await launchBrowserSweep(page, 100_000);
    await page.waitForFunction(
      () => [...document.querySelectorAll('[data-testid="compare-chart"]')].some((c) => Number(c.getAttribute('data-points')) > 2),
      null,
      { timeout: 60_000 },
    );
    assert.deepEqual(
      (await json(`/api/sweeps/${sweepId}`)).runs.map((r: { state: string }) => r.state),
      ['running', 'queued'],
    );
    await page.click('[data-testid="sweep-stop"]');
    await page.waitForFunction(
      () => {
        const states = [...document.querySelectorAll('[data-testid="compare-row"] [data-col="state"]')];
        return states.length === 2 && states.every((c) => /stopped/i.test(c.textContent ?? ''));
      },
      null,
      { timeout: 60_000 },
    );
    await sweepIn(sweepId, 'stopped');
    const [first, second] = await Promise.all(runs.map((id) => json(`/api/runs/${id}`)));
    assert.ok(first.step > 0 && first.step < 100_000, `the first point trained a while and stopped (step ${first.step})`);
    assert.equal(second.step, 0, 'the second point never started');
    assert.equal(second.startedAt, undefined);
    await screenshot(page, 'browser-sweep-stopped');
  } finally {
    await closeSession(s);
  }
});

test('leaving the tab interrupts a browser sweep: the point training and the one waiting, at once', { timeout: 180_000 }, async () => {
  const s = await openSession(browser, app, app.url);
  const { page } = s;
  try {
    const { sweepId, runs } = await launchBrowserSweep(page, 100_000);
    await page.waitForFunction(
      () => [...document.querySelectorAll('[data-testid="compare-chart"]')].some((c) => Number(c.getAttribute('data-points')) > 2),
      null,
      { timeout: 60_000 },
    );
    // A full navigation unloads the page (as a close or reload does): its last word reaches the server.
    const left = Date.now();
    await page.goto(`${app.url}/compare?runs=${runs.join(',')}&sweep=${sweepId}`);
    const sweep = await sweepIn(sweepId, 'interrupted');
    assert.ok(Date.now() - left < 20_000, 'at once, not after the idle timeout');
    assert.deepEqual(
      sweep.runs.map((r: { state: string }) => r.state),
      ['interrupted', 'interrupted'],
    );
    // The compare view the tab opens again says so, and offers nothing to stop.
    await page.waitForFunction(
      () => {
        const states = [...document.querySelectorAll('[data-testid="compare-row"] [data-col="state"]')];
        return states.length === 2 && states.every((c) => /interrupted/i.test(c.textContent ?? ''));
      },
      null,
      { timeout: 30_000 },
    );
    assert.equal(await page.locator('[data-testid="sweep-stop"]').count(), 0);
  } finally {
    await closeSession(s);
  }
});
