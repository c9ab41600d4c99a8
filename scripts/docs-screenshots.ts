// npm run docs:screenshots: takes the user's guide's pictures (docs/guide/*.png) from the real app:
// it builds the studio when needed, serves it on a fresh runs folder, and drives Debian's Chromium
// at 1440×900 through the journey docs/guide.md tells: the seed pipeline, a run, a live edit, a
// sweep launched from the inspector, the compare view, the runs list, the dataset library and a fork
// of a sweep's run with its lineage.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchBrowser, loadSmoke, openModel, ROOT, startApp } from '../e2e/harness';

const OUT = join(ROOT, 'docs', 'guide');

async function shot(page: Page, name: string): Promise<void> {
  await page.waitForTimeout(600); // fit and chart animations
  await page.screenshot({ path: join(OUT, `${name}.png`) });
  console.log(`docs/guide/${name}.png`);
}

async function waitForStep(page: Page, atLeast: number): Promise<void> {
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid="run-panel"]')?.getAttribute('data-step')) >= n, atLeast, { timeout: 120_000 });
}

async function journey(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForSelector('[data-node-type="model"]');
  await shot(page, '1-studio');

  // A run of the seed: the blocks come alive.
  await page.click('[data-testid="run-start"]');
  await waitForStep(page, 30);
  await shot(page, '2-running');

  // A live edit of the schedule's lr.
  await page.click('[data-node-id="scheduler"] .block-title');
  await page.waitForSelector('[data-testid="live-edits"]');
  await page.fill('[data-testid="live-field"][data-field="lr"] input', '0.001');
  await page.click('[data-testid="live-apply"]');
  await page.waitForSelector('[data-testid="live-applied"]');
  await waitForStep(page, 60);
  await shot(page, '3-live-edit');

  // Inside the model while it trains: per-layer numbers on its blocks (a view every 20 steps).
  await openModel(page);
  await page.waitForSelector('[data-testid="model-canvas"] [data-testid="inside-chart"]', { timeout: 120_000 });
  await waitForStep(page, 81);
  await shot(page, '11-model-insides');
  await page.click('[data-testid="model-back"]');
  await page.click('[data-testid="run-stop"]');

  // A sweep of three learning rates on the smoke pipeline, from the inspector.
  await loadSmoke(page, 30);
  await page.click('[data-node-id="scheduler"] .block-title');
  await page.click('[data-testid="sweep-lr"]');
  await page.selectOption('[data-testid="sweep-mode"]', 'log');
  await page.fill('[data-testid="sweep-from"]', '0.002');
  await page.fill('[data-testid="sweep-to"]', '0.02');
  await page.fill('[data-testid="sweep-count"]', '3');
  await shot(page, '4-sweep-editor');
  await page.click('[data-testid="sweep-apply"]');
  await page.click('[data-testid="sweep-launch"]');
  await page.waitForSelector('[data-testid="compare"][data-runs="3"]');
  await page.waitForFunction(
    () => {
      const states = [...document.querySelectorAll('[data-testid="compare-row"] [data-col="state"]')];
      return states.length === 3 && states.every((c) => /completed/i.test(c.textContent ?? ''));
    },
    null,
    { timeout: 300_000 },
  );
  await shot(page, '5-compare');
  await page.locator('[data-testid="graph-diff"]').scrollIntoViewIfNeeded();
  await shot(page, '6-graph-diff');

  await page.goto(`${url}/runs`);
  await page.waitForSelector('[data-testid="runs-sweep"]');
  await shot(page, '7-runs');

  await page.goto(`${url}/datasets`);
  await page.waitForLoadState('networkidle');
  await shot(page, '8-data');
  await forkJourney(page, url);
}

/** A fork of a sweep's run at a mid-run checkpoint with a lower lr, and the fork's page with its parent's curves. */
async function forkJourney(page: Page, url: string): Promise<void> {
  const { runs } = (await (await fetch(`${url}/api/runs`)).json()) as { runs: { id: string; state: string; sweep?: unknown }[] };
  const parent = runs.find((r) => r.sweep && r.state === 'completed')!.id;
  await page.goto(`${url}/runs/${parent}`);
  await page.click('.run-side [data-testid="fork-from-here"][data-checkpoint="ckpt-000020"]');
  await page.waitForSelector('[data-testid="fork-banner"]');
  await page.click('[data-node-id="scheduler"] .block-title');
  await page.fill('[data-testid="input-lr"]', '0.001');
  await page.keyboard.press('Tab');
  await shot(page, '9-fork');
  await page.click('[data-testid="run-start"]');
  await page.waitForSelector('[data-testid="run-panel"][data-state="completed"]', { timeout: 120_000 });
  const fork = await page.getAttribute('[data-testid="run-panel"]', 'data-run-id');
  await page.goto(`${url}/runs/${fork}`);
  await page.waitForSelector('[data-testid="run-parent-label"]');
  await page.click('[data-testid="overlay-parent"]');
  await page.waitForSelector('.run-charts[data-parent="shown"]');
  await shot(page, '10-fork-lineage');
}

mkdirSync(OUT, { recursive: true });
const app = await startApp();
const browser = await launchBrowser({ webgpu: false });
try {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  await journey(await context.newPage(), app.url);
} finally {
  await browser.close();
  await app.stop();
}
