// The inside view while training, in Chromium: the smoke model with 3 layers and an inside view
// every 5 steps; run it, open the model, see a chart across the 3 layers on each block of the
// repeated transformer block (norms, attention with its entropy, FFN, residual adds) and single
// numbers on the model's own blocks, numbers that change from one view to the next, blocks that
// keep their size as they arrive, text ≥ 11 px, in light and dark.
// (No named functions inside page.evaluate: tsx would wrap them in a helper the page lacks.)
// Run: node --import tsx --test --test-concurrency=1 e2e/model-insides.e2e.ts
// Screenshots: E2E_SCREENSHOTS=scratch node --import tsx --test e2e/model-insides.e2e.ts
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { appAndBrowserPerFile, closeSession, loadSmoke, openModel, openSession, screenshot, type App } from './harness';

let app: App;
let browser: Browser;
appAndBrowserPerFile((a, b) => ([app, browser] = [a, b]));

const LAYERS = 3;
const CANVAS = '[data-testid="model-canvas"]';

/** Every chart and single number inside the model, by block, as the DOM holds them. */
function insideNumbers(page: Page) {
  return page.evaluate(() => {
    const canvas = document.querySelector('[data-testid="model-canvas"]')!;
    return {
      step: Number(canvas.getAttribute('data-inside-step')),
      note: document.querySelector('[data-testid="model-breadcrumb"]')!.textContent!,
      charts: [...canvas.querySelectorAll('[data-testid="inside-chart"]')].map((c) => ({
        block: c.closest('[data-node-id]')!.getAttribute('data-node-id')!,
        metric: c.getAttribute('data-metric')!,
        layers: Number(c.getAttribute('data-layers')),
        values: c.getAttribute('data-values')!.split(',').map(Number),
        bars: c.querySelectorAll('rect').length,
      })),
      values: [...canvas.querySelectorAll('[data-testid="inside-value"]')].map((v) => ({
        block: v.closest('[data-node-id]')!.getAttribute('data-node-id')!,
        metric: v.getAttribute('data-metric')!,
        value: Number(v.getAttribute('data-value')),
      })),
    };
  });
}

/** Inner blocks' heights (flow units), the smallest text on them (screen px) and blocks that overlap. */
function innerLayout(page: Page) {
  return page.evaluate(() => {
    const zoom = new DOMMatrixReadOnly(getComputedStyle(document.querySelector('.react-flow__viewport')!).transform).a;
    const nodes = [...document.querySelectorAll<HTMLElement>('[data-testid="model-canvas"] .react-flow__node-block')].filter((n) => n.dataset.id !== 'blocks');
    const rects = nodes.map((n) => ({ id: n.dataset.id!, r: n.getBoundingClientRect() }));
    const overlaps: string[] = [];
    for (const a of rects)
      for (const b of rects)
        if (a.id < b.id && a.r.left < b.r.right - 1 && b.r.left < a.r.right - 1 && a.r.top < b.r.bottom - 1 && b.r.top < a.r.bottom - 1)
          overlaps.push(`${a.id}/${b.id}`);
    let smallest = Infinity;
    for (const el of document.querySelectorAll<HTMLElement>('[data-testid="model-canvas"] .block *')) {
      const hasText = [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent!.trim());
      if (hasText && el.getClientRects().length) smallest = Math.min(smallest, parseFloat(getComputedStyle(el).fontSize) * zoom);
    }
    return { zoom, smallest, overlaps, heights: Object.fromEntries(rects.map(({ id, r }) => [id, Math.round(r.height / zoom)])) };
  });
}

test('while the smoke model trains, its inner blocks show numbers per layer that change from view to view', async () => {
  const session = await openSession(browser, app, app.url);
  const { page } = session;
  await page.setViewportSize({ width: 1440, height: 900 });
  await loadSmoke(page, 400);

  // An inside view every 5 steps, and 3 layers.
  await page.click('[data-node-id="model"] .block-title');
  await page.fill('[data-testid="input-inspect_every"]', '5');
  await page.keyboard.press('Tab');
  await openModel(page);
  await page.click(`${CANVAS} [data-node-id="blocks"] .block-title`);
  await page.fill('[data-testid="input-n"]', String(LAYERS));
  await page.keyboard.press('Tab');
  await page.waitForFunction(() => JSON.stringify(JSON.parse(window.__studio!.documentText!())).includes('"inspect_every":5'));
  const atRest = await innerLayout(page);
  assert.ok(atRest.smallest >= 11, `text at the fitted zoom: ${atRest.smallest.toFixed(1)} px`);

  await page.click('[data-testid="run-start"]');
  await page.waitForSelector(`${CANVAS} [data-testid="inside-chart"]`, { timeout: 120_000 });
  const first = await insideNumbers(page);
  const firstLayout = await innerLayout(page);

  // Per layer on the repeated block's nodes; the attention also its entropy; residual adds have no params.
  const metricsOf = (block: string) =>
    first.charts
      .filter((c) => c.block === block)
      .map((c) => c.metric)
      .sort();
  assert.deepEqual(metricsOf('attn'), ['act_rms', 'attn_entropy', 'grad_norm']);
  for (const block of ['norm1', 'norm2', 'ffn']) assert.deepEqual(metricsOf(block), ['act_rms', 'grad_norm'], block);
  for (const block of ['res1', 'res2']) assert.deepEqual(metricsOf(block), ['act_rms'], block);
  for (const c of first.charts) {
    assert.equal(c.layers, LAYERS, `${c.block}.${c.metric} data-layers`);
    assert.equal(c.values.length, LAYERS, `${c.block}.${c.metric}: one value per layer`);
    assert.equal(c.bars, LAYERS, `${c.block}.${c.metric}: one bar per layer`);
    assert.ok(
      c.values.every((v) => Number.isFinite(v) && v >= 0),
      `${c.block}.${c.metric}: ${c.values}`,
    );
  }
  // Entropy of causal attention over at most 16 positions: between 0 and ln 16.
  for (const v of first.charts.find((c) => c.metric === 'attn_entropy')!.values) assert.ok(v > 0 && v <= Math.log(16) + 1e-6, `entropy ${v}`);
  // The model's own blocks: single numbers (a tied head has no gradient of its own).
  const single = (block: string) =>
    first.values
      .filter((v) => v.block === block)
      .map((v) => v.metric)
      .sort();
  assert.deepEqual(single('wte'), ['act_rms', 'grad_norm']);
  assert.deepEqual(single('norm_f'), ['act_rms', 'grad_norm']);
  assert.deepEqual(single('lm_head'), ['act_rms']);
  assert.ok(first.step === 1 || first.step % 5 === 0, `the view's step ${first.step}`);
  assert.match(first.note, new RegExp(`inside view at step ${first.step} · ${LAYERS} layers`));
  await screenshot(page, 'model-insides-1440');

  // A later view: its step and its numbers differ.
  await page.waitForFunction((s) => Number(document.querySelector('[data-testid="model-canvas"]')!.getAttribute('data-inside-step')) > s, first.step, {
    timeout: 60_000,
  });
  const later = await insideNumbers(page);
  const attnRms = (n: typeof first) => n.charts.find((c) => c.block === 'attn' && c.metric === 'act_rms')!.values;
  assert.notDeepEqual(attnRms(later), attnRms(first), `attn act_rms at steps ${first.step} and ${later.step}`);
  const laterLayout = await innerLayout(page);
  assert.deepEqual(laterLayout.heights, firstLayout.heights, 'inner blocks keep their size as views arrive');
  assert.deepEqual(firstLayout.overlaps, [], 'inner blocks do not overlap');
  assert.ok(laterLayout.smallest >= 11, `text during the run: ${laterLayout.smallest.toFixed(1)} px`);

  await page.setViewportSize({ width: 1280, height: 800 });
  await page.click('.react-flow__controls-fitview');
  await screenshot(page, 'model-insides-1280');
  assert.ok((await innerLayout(page)).smallest >= 11, 'text at 1280×800');

  // Dark: the charts follow the theme.
  const barColour = () =>
    page
      .locator(`${CANVAS} [data-node-id="attn"] [data-metric="act_rms"] rect`)
      .last()
      .evaluate((r) => getComputedStyle(r).fill);
  const light = await barColour();
  while ((await page.evaluate(() => document.documentElement.dataset.theme)) !== 'dark') await page.click('[data-testid="theme-toggle"]');
  assert.notEqual(await barColour(), light, 'bars take the dark theme colour');
  await screenshot(page, 'model-insides-dark');

  // Outside, the model block names the view; once the run has ended its last view stays inside.
  await page.click('[data-testid="model-back"]');
  await page.waitForSelector('[data-node-id="model"] [data-testid="open-model"][data-inside-step]');
  await page.waitForSelector('[data-testid="run-start"]:not([disabled])', { timeout: 120_000 });
  await page.dblclick('[data-node-id="model"] .block-title');
  await page.waitForSelector(`${CANVAS}[data-inside-step="400"] [data-node-id="attn"] [data-testid="inside-chart"]`);
  await closeSession(session);
});
