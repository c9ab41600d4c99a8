// The memory estimate before a run, in Chromium against the production build and the real server:
// the model and get_batch blocks and the run controls show it; a batch far too large turns the run
// controls red, the server refuses the run with the fields named on the blocks, and a browser run
// is refused in the page the same way.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { appAndBrowserPerFile, closeSession, openSession, type App } from './harness';

let app: App;
let browser: Browser;
appAndBrowserPerFile((a, b) => ([app, browser] = [a, b]));

const bytesOf = async (page: Page, selector: string) => Number(await page.getAttribute(selector, 'data-bytes'));

async function selectBlock(page: Page, id: string) {
  await page.click(`[data-node-id="${id}"] .block-title`);
  await page.waitForSelector('[data-testid="inspector"] h2');
}

test('the estimate on the model and get_batch blocks and in the run controls; too large a batch is refused on its block', async () => {
  const s = await openSession(browser, app, app.url);
  const { page } = s;
  await page.waitForSelector('[data-node-id="model"] [data-testid="block-memory"]');
  assert.match(await page.locator('[data-node-id="model"] [data-testid="block-memory"]').innerText(), /^params [\d.]+[kM]? · ≈ [\d.]+ (kB|MB)$/);
  assert.match(await page.locator('[data-node-id="get_batch"] [data-testid="block-memory"]').innerText(), /^activations ≈ [\d.]+ (kB|MB)$/);
  // The run controls: the whole run against the server's budget (GET /api/executors).
  await page.waitForSelector('[data-testid="run-memory"] .muted');
  const run = page.locator('[data-testid="run-memory"]');
  assert.match(await run.innerText(), /≈ [\d.]+ MB \/ [\d.]+ GB/);
  const before = await bytesOf(page, '[data-node-id="get_batch"] [data-testid="block-memory"]');

  // Batch 4096 x context 8192: terabytes, over any machine's budget.
  await selectBlock(page, 'model');
  await page.fill('[data-testid="input-context_length"]', '8192');
  await selectBlock(page, 'get_batch');
  await page.fill('[data-testid="input-context_length"]', '8192');
  await page.fill('[data-testid="input-batch_size"]', '4096');
  await page.waitForFunction(
    (b) => Number(document.querySelector('[data-node-id="get_batch"] [data-testid="block-memory"]')?.getAttribute('data-bytes')) > b * 100,
    before,
  );
  await page.waitForSelector('[data-testid="run-memory"].is-over');

  // Node executor: the server refuses it and the blocks say what to shrink.
  await page.click('[data-testid="run-start"]');
  await page.waitForSelector('[data-node-id="get_batch"] [data-testid="block-errors"]');
  assert.match(await page.locator('[data-node-id="get_batch"] [data-testid="block-errors"]').innerText(), /batch_size|context_length/);
  assert.match(
    await page.locator('[data-node-id="get_batch"] [data-testid="block-errors"]').innerText(),
    /over this server's budget of .* \(MAX_RUN_MEMORY\).*shrink context_length, batch_size/s,
  );

  // Browser executor: refused in the page, against the tab's budget.
  await page.selectOption('[data-testid="executor"]', 'browser');
  await page.click('[data-testid="run-start"]');
  await page.waitForFunction(() =>
    /this tab's budget/.test(document.querySelector('[data-node-id="get_batch"] [data-testid="block-errors"]')?.textContent ?? ''),
  );
  assert.equal(
    (await page.locator('[data-testid="run-panel"]').count()) === 0 || (await page.getAttribute('[data-testid="run-panel"]', 'data-state')) !== 'running',
    true,
  );
  // The server's refusal is the one request that failed (the browser logs its 400); the tab's own refusal sent none.
  assert.deepEqual(s.errors, ['Failed to load resource: the server responded with a status of 400 (Bad Request)']);
  s.errors.length = 0;
  await closeSession(s);
});
