// A new user's first hour, at 1440×900: the seed reads at its default view with the run panel
// open (block text ≥ 11 px, measured from the DOM, every block in view; blocks keep their size
// through a run, so the view does not shrink as samples arrive), no edge drawn behind a block it does
// not connect (idle, running, after Auto-layout), every toolbar control readable at 1280 px, no live numbers from a
// run of another pipeline, Run disabled while the pipeline has errors (the error beside the field
// just edited), the executor and the theme remembered across a reload, a single click on the palette adds a
// block, toasts beside the canvas rather than over it, a resumed run says where it continued, and
// own data on the browser executor through the file picker.
// Run: node --import tsx --test e2e/first-hour.e2e.ts (E2E_SCREENSHOTS=dir saves the states).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { estimateBlockSize } from '../lib/block-geometry';
import { SEED_DOCUMENT } from '../lib/templates';
import { appAndBrowserPerFile, closeSession, openModel, ROOT, screenshot, type App, type Session } from './harness';

let app: App;
let browser: Browser;
appAndBrowserPerFile((a, b) => ([app, browser] = [a, b]));

const panel = '[data-testid="run-panel"]';
const shot = (page: Page, name: string) => screenshot(page, `first-hour-${name}`);

/** The studio at 1440×900 (a laptop's wide screen) or `viewport`, recording page errors and foreign requests. */
async function open(path = '/', viewport = { width: 1440, height: 900 }): Promise<Session> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const errors: string[] = [];
  const foreign: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(`${app.url}/`) && !u.startsWith('data:') && !u.startsWith('blob:')) foreign.push(u);
  });
  await page.goto(app.url + path);
  await page.waitForSelector('[data-node-type="model"]');
  return { context, page, errors, foreign };
}

async function stopActiveRuns() {
  const { runs } = (await (await fetch(`${app.url}/api/runs`)).json()) as { runs: { id: string; state: string }[] };
  for (const r of runs) if (['queued', 'running', 'paused'].includes(r.state)) await fetch(`${app.url}/api/runs/${r.id}/stop`, { method: 'POST' });
}

async function loadTemplate(page: Page, id: 'seed' | 'smoke', name: string) {
  await page.click('[data-testid="templates"]');
  await page.click(`[data-testid="template-${id}"]`);
  await page.locator('.doc-name', { hasText: name }).waitFor();
}

async function setSteps(page: Page, steps: number) {
  await page.click('[data-testid="tab-inspector"]');
  await page.keyboard.press('Escape');
  await page.fill('[data-testid="input-training-steps"]', String(steps));
  await page.waitForFunction((n) => JSON.parse(window.__studio!.documentText!()).training.steps === n, steps);
}

/** Waits until the viewport has not moved for a while (fit animations done). */
async function settled(page: Page) {
  let last = '';
  for (let i = 0; i < 40; i++) {
    const now = (await page.getAttribute('.react-flow__viewport', 'style')) ?? '';
    if (now === last) return;
    last = now;
    await page.waitForTimeout(150);
  }
}

/**
 * What the canvas shows: the smallest rendered text size inside blocks (CSS px × zoom) and the
 * blocks that stick out of the visible pane.
 */
function measureCanvas(page: Page) {
  return page.evaluate(() => {
    const viewport = document.querySelector<HTMLElement>('.react-flow__viewport')!;
    const zoom = new DOMMatrixReadOnly(getComputedStyle(viewport).transform).a;
    const pane = document.querySelector('.react-flow__renderer')!.getBoundingClientRect();
    let smallest = Infinity;
    let smallestText = '';
    for (const el of document.querySelectorAll<HTMLElement>('.react-flow__node .block *')) {
      const hasText = [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent!.trim());
      if (!hasText || el.getClientRects().length === 0) continue;
      const px = parseFloat(getComputedStyle(el).fontSize) * zoom;
      if (px < smallest) [smallest, smallestText] = [px, el.textContent!.trim()];
    }
    const outside = [...document.querySelectorAll<HTMLElement>('.react-flow__node .block')]
      .filter((b) => {
        const r = b.getBoundingClientRect();
        return r.left < pane.left - 1 || r.top < pane.top - 1 || r.right > pane.right + 1 || r.bottom > pane.bottom + 1;
      })
      .map((b) => b.dataset.nodeId);
    return { zoom, smallest, smallestText, outside, blocks: document.querySelectorAll('.react-flow__node .block').length };
  });
}

/**
 * Edges drawn behind a block that is not one of their ends: each rendered edge path (its `d`) is
 * sampled every 3 px, in screen coordinates, against the blocks' rectangles (1 px inside).
 */
function edgesBehindBlocks(page: Page) {
  return page.evaluate(() => {
    const blocks = [...document.querySelectorAll<HTMLElement>('.react-flow__node-block')].map((n) => ({ id: n.dataset.id!, r: n.getBoundingClientRect() }));
    const found = new Set<string>();
    const edges = [...document.querySelectorAll<SVGGElement>('.react-flow__edge')];
    for (const g of edges) {
      const [, source, target] = /^Edge from (.+) to (.+)$/.exec(g.getAttribute('aria-label') ?? '')!;
      const path = g.querySelector<SVGPathElement>('.react-flow__edge-path')!;
      if (!path.getAttribute('d')?.startsWith('M')) found.add(`${g.dataset.id} has no path`);
      const toScreen = path.getScreenCTM()!;
      const length = path.getTotalLength();
      for (let at = 0; at <= length; at += 3) {
        const { x, y } = path.getPointAtLength(at);
        const p = new DOMPoint(x, y).matrixTransform(toScreen);
        for (const { id, r } of blocks) {
          if (id === source || id === target) continue;
          if (p.x > r.left + 1 && p.x < r.right - 1 && p.y > r.top + 1 && p.y < r.bottom - 1) found.add(`${g.dataset.id} behind ${id}`);
        }
      }
    }
    return { edges: edges.length, behind: [...found] };
  });
}

/** Each block's height in flow units (px at zoom 1), by id. */
function blockHeights(page: Page): Promise<Record<string, number>> {
  return page.evaluate(() => {
    const zoom = new DOMMatrixReadOnly(getComputedStyle(document.querySelector('.react-flow__viewport')!).transform).a;
    return Object.fromEntries(
      [...document.querySelectorAll<HTMLElement>('.react-flow__node-block')].map((n) => [n.dataset.id!, Math.round(n.getBoundingClientRect().height / zoom)]),
    );
  });
}

/**
 * Toolbar controls whose text is cut (scrollWidth > clientWidth, or a select narrower than its
 * chosen option), that wrap onto a second line, overlap another control or leave the bar.
 */
function toolbarFaults(page: Page) {
  // No named functions inside: the evaluated code runs untransformed in the page.
  return page.evaluate(() => {
    const bar = document.querySelector<HTMLElement>('.toolbar')!;
    const barBox = bar.getBoundingClientRect();
    const controls = [...bar.querySelectorAll<HTMLElement>('button, a, select, .doc-name, .brand, .run-memory, .compact-select-label')].filter(
      (el) =>
        el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden' && getComputedStyle(el).opacity !== '0' && !el.closest('.menu-list'),
    );
    const names = controls.map((el) => el.dataset.testid ?? el.className);
    const faults: string[] = [];
    const ctx = document.createElement('canvas').getContext('2d')!;
    controls.forEach((el, i) => {
      if (el.scrollWidth > el.clientWidth) faults.push(`${names[i]} cut: ${el.scrollWidth} > ${el.clientWidth}`);
      if (el instanceof HTMLSelectElement) {
        ctx.font = getComputedStyle(el).font;
        const needed = ctx.measureText(el.selectedOptions[0]?.text ?? '').width + 24; // padding and arrow
        if (needed > el.clientWidth) faults.push(`${names[i]} shows "${el.selectedOptions[0]?.text}" in ${el.clientWidth} px`);
      }
      const range = document.createRange();
      range.selectNodeContents(el);
      // Wrapped: one piece of its text lies wholly below another (a smaller caret beside a word does not).
      const pieces = [...range.getClientRects()].filter((r) => r.width > 0 && r.height > 0);
      if (pieces.some((a) => pieces.some((b) => b.top >= a.bottom - 1))) faults.push(`${names[i]} wraps onto more than one line`);
      const r = el.getBoundingClientRect();
      if (r.left < barBox.left || r.right > barBox.right + 0.5 || r.top < barBox.top || r.bottom > barBox.bottom) faults.push(`${names[i]} leaves the bar`);
    });
    // (The executor's select is invisible over its label: the label is what is measured.)
    const boxes = controls.map((el, i) => [names[i], el.getBoundingClientRect()] as const);
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const [[a, ra], [b, rb]] = [boxes[i], boxes[j]];
        if (ra.left < rb.right - 0.5 && rb.left < ra.right - 0.5 && ra.top < rb.bottom - 0.5 && rb.top < ra.bottom - 0.5) faults.push(`${a} overlaps ${b}`);
      }
    }
    if (bar.scrollWidth > bar.clientWidth) faults.push(`the bar overflows: ${bar.scrollWidth} > ${bar.clientWidth}`);
    return { faults, controls: controls.length };
  });
}

test('the seed at its default view at 1440×900: text ≥ 11 px with the run panel open, every block in view, idle and running', async () => {
  await stopActiveRuns();
  const s = await open();
  const { page } = s;
  await settled(page);
  const idle = await measureCanvas(page);
  assert.equal(idle.blocks, 12);
  assert.deepEqual(idle.outside, [], 'every block in view');
  assert.ok(idle.smallest >= 11, `smallest block text ${idle.smallest.toFixed(2)} px ("${idle.smallestText}") at zoom ${idle.zoom.toFixed(3)}`);
  assert.equal(await page.locator('.react-flow__minimap').count(), 0, 'no minimap over a corner block while all is in view');
  const idleEdges = await edgesBehindBlocks(page);
  assert.equal(idleEdges.edges, 15);
  assert.deepEqual(idleEdges.behind, [], 'no edge behind a block it does not connect');
  // The sizes the layout tests route with (lib/block-geometry.ts) are the ones drawn here.
  const heights = await blockHeights(page);
  for (const node of SEED_DOCUMENT.nodes)
    assert.ok(
      Math.abs(heights[node.id] - estimateBlockSize(node).height) <= 2,
      `${node.id}: drawn ${heights[node.id]} px high, estimated ${estimateBlockSize(node).height}`,
    );
  await shot(page, '01-seed-idle');

  await page.click('[data-testid="run-start"]');
  await page.waitForSelector(`${panel}[data-state="running"]`, { timeout: 60_000 });
  await page.waitForSelector('[data-node-id="loss"] [data-live="loss"]', { timeout: 60_000 });
  await page.waitForSelector('[data-node-id="model"] [data-testid="block-live"]');
  await page.waitForTimeout(500); // the blocks grow with their numbers; the canvas fits again
  await settled(page);
  const running = await measureCanvas(page);
  assert.deepEqual(running.outside, [], 'every block in view with the run panel open and the numbers on the blocks');
  assert.ok(running.smallest >= 11, `smallest block text ${running.smallest.toFixed(2)} px ("${running.smallestText}") at zoom ${running.zoom.toFixed(3)}`);
  console.log(
    `default view of the seed at 1440×900: idle zoom ${idle.zoom.toFixed(3)}, smallest text ${idle.smallest.toFixed(1)} px; running zoom ${running.zoom.toFixed(3)}, smallest ${running.smallest.toFixed(1)} px`,
  );
  assert.deepEqual((await edgesBehindBlocks(page)).behind, [], 'no edge behind a block with the numbers on the blocks');
  await shot(page, '02-seed-running');

  // Zoomed in by the user, a panel change keeps their view.
  await page.click('.react-flow__controls-zoomin');
  await settled(page);
  const zoomed = await measureCanvas(page);
  await page.click('[data-testid="tab-problems"]');
  await page.waitForTimeout(400);
  assert.equal((await measureCanvas(page)).zoom.toFixed(4), zoomed.zoom.toFixed(4), "the user's zoom is kept");
  await page.click('[data-testid="tab-run"]');
  await page.click('[data-testid="panel-stop"]');
  await page.waitForSelector(`${panel}[data-state="stopped"]`, { timeout: 30_000 });
  await closeSession(s);
});

test('a run to its end keeps the view: blocks keep their size as samples and checkpoints arrive, text stays ≥ 11 px, edges stay clear', async () => {
  await stopActiveRuns();
  const s = await open();
  const { page } = s;
  await loadTemplate(page, 'smoke', 'Smoke');
  // Long enough that Pause lands before the end on a busy machine; shortened once measured.
  await setSteps(page, 4000);
  await page.click('[data-testid="run-start"]');
  // At the start: the first numbers are in, no sample yet (Pause holds it there while we measure).
  await page.waitForSelector('[data-node-id="loss"] [data-live="loss"]', { timeout: 60_000 });
  await page.click('[data-testid="run-pause"]');
  await page.waitForSelector(`${panel}[data-state="paused"]`, { timeout: 30_000 });
  await settled(page);
  const start = await measureCanvas(page);
  const startHeights = await blockHeights(page);
  const runId = (await page.getAttribute(panel, 'data-run-id'))!;
  const pausedAt = Number(await page.getAttribute(panel, 'data-step'));
  const edit = await fetch(`${app.url}/api/runs/${runId}/edit`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ nodeId: 'training', params: { steps: Math.max(40, pausedAt + 20) } }),
  });
  assert.equal(edit.status, 200, await edit.clone().text());
  await page.click('[data-testid="run-resume"]');
  await page.waitForSelector(`${panel}[data-state="completed"]`, { timeout: 120_000 });
  await page.waitForSelector('[data-node-id="sample"] [data-testid="block-sample"]');
  await page.waitForSelector('[data-node-id="checkpoint"] [data-testid="checkpoint-link"]');
  await page.waitForSelector('[data-node-id="eval"] [data-live="val_loss"]');
  await page.waitForTimeout(500);
  await settled(page);
  const end = await measureCanvas(page);
  console.log(
    `smoke at 1440×900 with the run panel open: zoom ${start.zoom.toFixed(3)} at the start, ${end.zoom.toFixed(3)} at the end (smallest text ${end.smallest.toFixed(1)} px, "${end.smallestText}")`,
  );
  assert.deepEqual(await blockHeights(page), startHeights, 'every block as high at the end as at the start');
  assert.ok(end.zoom >= start.zoom - 0.001, `the fitted zoom stays: ${start.zoom.toFixed(3)} at the start, ${end.zoom.toFixed(3)} at the end`);
  assert.ok(end.smallest >= 11, `smallest block text ${end.smallest.toFixed(2)} px ("${end.smallestText}") at zoom ${end.zoom.toFixed(3)}`);
  assert.deepEqual(end.outside, [], 'every block in view at the end');
  assert.deepEqual((await edgesBehindBlocks(page)).behind, [], 'no edge behind a block at the end of the run');
  await shot(page, '08-smoke-finished-1440');
  // The same finished run at 1280×800: edges still clear, the toolbar whole.
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.waitForTimeout(400);
  await settled(page);
  assert.deepEqual((await edgesBehindBlocks(page)).behind, [], 'no edge behind a block at 1280×800');
  assert.deepEqual((await toolbarFaults(page)).faults, []);
  await shot(page, '09-smoke-finished-1280');
  await closeSession(s);
});

test('every toolbar control reads whole at 1280×800 and 1440×900: nothing cut, wrapped or overlapping', async () => {
  for (const viewport of [
    { width: 1280, height: 800 },
    { width: 1440, height: 900 },
  ]) {
    const s = await open('/', viewport);
    const { page } = s;
    const node = await toolbarFaults(page);
    assert.ok(node.controls >= 15, `${node.controls} controls measured`);
    assert.deepEqual(node.faults, [], `at ${viewport.width}×${viewport.height}`);
    assert.equal((await page.innerText('.doc-name')).trim(), 'Seed: byte-level GPT on the Brown corpus', "the pipeline's whole name");
    assert.equal((await page.innerText('[data-testid="executor-label"]')).replace('▾', '').trim(), 'Node');
    // The list keeps the full names; the bar shows the short one.
    assert.ok((await page.locator('[data-testid="executor"] option').allTextContents()).includes('Node (server)'));
    await shot(page, `10-toolbar-${viewport.width}`);
    // The browser executor adds its backend choice.
    await page.selectOption('[data-testid="executor"]', 'browser');
    assert.equal((await page.innerText('[data-testid="executor-label"]')).replace('▾', '').trim(), 'Browser');
    assert.deepEqual((await toolbarFaults(page)).faults, [], `browser executor at ${viewport.width}×${viewport.height}`);
    await page.selectOption('[data-testid="executor"]', 'node');
    // The rarer actions sit under More.
    await page.click('[data-testid="more"]');
    await page.locator('[data-testid="export-torch"]').waitFor();
    assert.equal(await page.locator('[data-testid="group"]').isDisabled(), true, 'Group waits for a selection');
    await page.keyboard.press('Escape');
    await closeSession(s);
  }
});

test("no live numbers from another pipeline's run; Run disabled with the reason while the pipeline has errors", async () => {
  await stopActiveRuns();
  const s = await open();
  const { page } = s;
  await loadTemplate(page, 'smoke', 'Smoke');
  await page.click('[data-testid="run-start"]');
  await page.waitForSelector(`${panel}[data-state="completed"]`, { timeout: 60_000 });
  await page.waitForSelector('[data-node-id="model"] [data-testid="block-live"]');
  await page.waitForSelector('[data-node-id="checkpoint"] [data-testid="checkpoint-link"]');

  // New → Seed: the seed's blocks show none of Smoke's numbers, and the panel says why.
  await page.click('[data-testid="new"]');
  await page.click('[data-testid="new-seed"]');
  await page.locator('.doc-name', { hasText: 'Seed' }).waitFor();
  await page.waitForSelector('[data-testid="run-elsewhere"]');
  assert.match(await page.innerText('[data-testid="run-elsewhere"]'), /trained another pipeline \(Smoke/);
  assert.equal(await page.locator('.react-flow__node [data-testid="block-live"]').count(), 0, 'no live numbers on the seed');
  assert.equal(await page.locator('.react-flow__node [data-testid="checkpoint-link"]').count(), 0, "no link to Smoke's checkpoint");
  // The toast sits beside the canvas, not over it.
  const toast = (await page.locator('[data-testid="toast"]').last().boundingBox())!;
  const canvas = (await page.locator('[data-testid="canvas"]').boundingBox())!;
  assert.ok(toast.y >= canvas.y + canvas.height - 1, `the toast (top ${toast.y}) is below the canvas (bottom ${canvas.y + canvas.height})`);
  await shot(page, '03-seed-after-smoke');
  // Smoke again (the pipeline the run trained): its numbers come back.
  await loadTemplate(page, 'smoke', 'Smoke');
  await page.waitForSelector('[data-node-id="model"] [data-testid="block-live"]');
  assert.equal(await page.locator('[data-testid="run-elsewhere"]').count(), 0);
  // An edited block is no longer the one trained (n_heads is the attention block's, inside the model).
  const openAttention = async () => {
    await openModel(page);
    await page.click('[data-testid="model-canvas"] [data-node-id="attn"] .block-title');
  };
  await openAttention();
  await page.fill('[data-testid="input-n_heads"]', '7');

  // d_model 32 is not divisible by 7: the error sits on the field just edited too, and Run waits.
  const field = page.locator('[data-testid="param-n_heads"] .field-error');
  await field.waitFor();
  assert.match(await field.innerText(), /must be divisible by n_heads \(7\)/);
  await page.click('[data-testid="model-back"]');
  await page.waitForFunction(() => !document.querySelector('[data-node-id="model"] [data-testid="block-live"]'));
  assert.match(await page.innerText('[data-testid="run-elsewhere"]'), /^1 of 12 blocks differ/);
  const run = page.locator('[data-testid="run-start"]');
  await page.waitForFunction(() => (document.querySelector('[data-testid="run-start"]') as HTMLButtonElement).disabled);
  const reason = (await run.getAttribute('title'))!;
  assert.match(reason, /^Fix (the problem|the \d+ problems) first \(model\.[\w.]+: .*\); see Problems below$/);
  assert.match(reason, /n_heads \(7\)/);
  await openAttention();
  await page.fill('[data-testid="input-n_heads"]', '2');
  await page.click('[data-testid="model-back"]');
  await page.waitForFunction(() => !(document.querySelector('[data-testid="run-start"]') as HTMLButtonElement).disabled);
  await closeSession(s);
});

test('the executor and the theme survive a reload; one click on the palette adds a block; Auto-layout keeps every block in view', async () => {
  const s = await open();
  const { page } = s;
  await page.selectOption('[data-testid="executor"]', 'browser');
  await page.selectOption('[data-testid="browser-backend"]', 'wasm');
  await page.reload();
  await page.waitForSelector('[data-node-type="model"]');
  assert.equal(await page.inputValue('[data-testid="executor"]'), 'browser');
  assert.equal(await page.inputValue('[data-testid="browser-backend"]'), 'wasm');
  await page.selectOption('[data-testid="executor"]', 'node');

  // The theme follows the system until one is picked; the canvas follows it, and a reload keeps it.
  const theme = () => page.evaluate(() => document.documentElement.dataset.theme);
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark');
  assert.equal(await page.locator('.react-flow.dark').count(), 1, 'the canvas follows the system');
  await page.emulateMedia({ colorScheme: 'light' });
  await page.waitForFunction(() => document.documentElement.dataset.theme === 'light');
  await page.click('[data-testid="theme-toggle"]'); // light
  await page.click('[data-testid="theme-toggle"]'); // dark
  assert.equal(await theme(), 'dark');
  await page.reload();
  await page.waitForSelector('.react-flow.dark [data-node-type="model"]');
  assert.equal(await theme(), 'dark', 'the choice survives a reload, whatever the system says');
  await shot(page, '07-dark');
  await page.click('[data-testid="theme-toggle"]'); // back to the system's (light here)
  assert.equal(await theme(), 'light');

  const blocks = await page.locator('.react-flow__node-block').count();
  await page.click('[data-testid="palette-clip"]');
  await page.waitForSelector('[data-node-id="clip#2"]');
  assert.equal(await page.locator('.react-flow__node-block').count(), blocks + 1, 'one click, one block');

  await page.click('[data-testid="auto-layout"]');
  await page.waitForTimeout(400);
  await settled(page);
  const laid = await measureCanvas(page);
  assert.deepEqual(laid.outside, [], 'every block in view after Auto-layout');
  assert.deepEqual((await edgesBehindBlocks(page)).behind, [], 'no edge behind a block after Auto-layout');
  const boxes = await page
    .locator('.react-flow__node-block')
    .evaluateAll((els) => els.map((e) => e.getBoundingClientRect()).map((r) => ({ x: r.x, y: r.y, w: r.width, h: r.height })));
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const [a, b] = [boxes[i], boxes[j]];
      assert.ok(a.x + a.w <= b.x + 1 || b.x + b.w <= a.x + 1 || a.y + a.h <= b.y + 1 || b.y + b.h <= a.y + 1, `blocks ${i} and ${j} overlap after Auto-layout`);
    }
  }
  await shot(page, '04-auto-layout');
  await page.keyboard.press('Control+z'); // the layout is one undo step
  await page.keyboard.press('Control+z'); // and the added block another
  await page.waitForFunction(() => !document.querySelector('[data-node-id="clip#2"]'));
  await closeSession(s);
});

test('a resumed run says where it continued and which steps it trains again, in the panel and on the runs page', async () => {
  await stopActiveRuns();
  const s = await open();
  const { page } = s;
  await loadTemplate(page, 'smoke', 'Smoke');
  await setSteps(page, 4000);
  await page.click('[data-testid="run-start"]');
  // Past the first checkpoint (every 10 steps) but not on one.
  await page.waitForFunction(
    (sel) => {
      const step = Number(document.querySelector(sel)?.getAttribute('data-step'));
      return step > 14;
    },
    panel,
    { timeout: 60_000 },
  );
  await page.click('[data-testid="panel-stop"]');
  await page.waitForSelector(`${panel}[data-state="stopped"]`, { timeout: 30_000 });
  const runId = (await page.getAttribute(panel, 'data-run-id'))!;
  // The step the server reached (the panel may not have drawn the last one yet).
  const stoppedAt = ((await (await fetch(`${app.url}/api/runs/${runId}`)).json()) as { step: number }).step;
  const { checkpoints } = (await (await fetch(`${app.url}/api/runs/${runId}/checkpoints`)).json()) as { checkpoints: { name: string; step: number }[] };
  const last = checkpoints.at(-1)!;

  await page.click('[data-testid="panel-resume"]');
  const note = page.locator('[data-testid="run-resumed"]');
  await note.waitFor({ timeout: 30_000 });
  const retrained = stoppedAt === last.step + 1 ? `step ${stoppedAt}` : `steps ${last.step + 1}–${stoppedAt}`;
  const redo = stoppedAt > last.step ? ` \\(${retrained} will be retrained\\)` : '';
  assert.match(await note.innerText(), new RegExp(`continuing from ${last.name}${redo}`));
  assert.match(await note.innerText(), /first started .*, resumed /);
  await shot(page, '05-resumed');

  await page.click('[data-testid="panel-stop"]');
  await page.waitForSelector(`${panel}[data-state="stopped"]`, { timeout: 30_000 });
  await page.click('[data-testid="runs-link"]');
  const row = page.locator(`[data-testid="runs-row"][data-run-id="${runId}"]`);
  await row.waitFor();
  assert.match(await row.locator('[data-testid="runs-resumed"]').innerText(), new RegExp(`continuing from ${last.name}`));
  // Hyperparameters from the run's pipeline, and what differs from its template.
  await row.locator('[data-testid="runs-params"]').filter({ hasNotText: '–' }).waitFor();
  assert.equal((await row.locator('[data-testid="runs-batch"]').innerText()).trim(), '4');
  assert.equal((await row.locator('[data-testid="runs-diff"]').innerText()).trim(), 'steps=4000');
  // Two runs compared: their legends are names (what differs, or the pipeline's name), not ids.
  const rows = page.locator('[data-testid="runs-row"]');
  await rows.nth(0).locator('[data-testid="runs-compare"]').check();
  await rows.nth(1).locator('[data-testid="runs-compare"]').check();
  await page.waitForSelector('[data-testid="overlay"][data-runs="2"]');
  const legends = await page.locator('.overlay-keys b').allInnerTexts();
  assert.equal(legends.length, 2);
  for (const name of legends) assert.doesNotMatch(name, /^…|^[0-9a-z]{13}$/, `a name, not an id: ${name}`);
  await shot(page, '06-runs-page');
  await closeSession(s);
});

test('own data on the browser executor: Run asks for the files; on the server a missing file names its folder', async () => {
  await stopActiveRuns();
  const s = await open();
  const { page } = s;
  await loadTemplate(page, 'smoke', 'Smoke');
  await page.click('[data-node-id="dataset"] .block-title');
  await page.selectOption('[data-testid="input-source"]', 'files');
  await page.fill('[data-testid="input-train_path"]', 'mytext/train_ids.npy');
  await page.fill('[data-testid="input-valid_path"]', 'mytext/valid_ids.npy');

  // Node: the server looks in DATA_DIR and says which folder.
  await page.click('[data-testid="run-start"]');
  await page.waitForSelector(`${panel}[data-state="failed"]`, { timeout: 60_000 });
  assert.match(await page.innerText('[data-testid="run-error"]'), /train_path: cannot open mytext\/train_ids\.npy: no such file in mytext\/ under DATA_DIR/);

  // Browser: Run opens the picker; a text file is tokenized in the tab and trained on.
  await page.selectOption('[data-testid="executor"]', 'browser');
  await page.selectOption('[data-testid="browser-backend"]', 'wasm');
  assert.match((await page.getAttribute('[data-testid="run-start"]', 'title'))!, /^Pick train_ids\.npy and valid_ids\.npy/);
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.click('[data-testid="run-start"]')]);
  await chooser.setFiles(join(ROOT, 'README.md'));
  await page.locator('[data-testid="toast"]', { hasText: 'Training on README.md, tokenized in this tab' }).waitFor({ state: 'attached' });
  await page.waitForSelector(`${panel}[data-executor="browser"][data-state="completed"]`, { timeout: 120_000 });
  await page.selectOption('[data-testid="executor"]', 'node');
  await closeSession(s);
});
