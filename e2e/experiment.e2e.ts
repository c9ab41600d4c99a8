// The experiment loop in Chromium against the production build and the real server: a live edit
// of lr from the inspector while a node run trains (the logged lr changes after the reported step,
// the charts mark the edit, the block lists it), then a fork through the API, shown as a tree on
// /runs with its label.
// Screenshots: E2E_SCREENSHOTS=scratch node --import tsx --test e2e/experiment.e2e.ts
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Browser } from 'playwright-core';
import { appAndBrowserPerFile, closeSession, loadSmoke, openSession, screenshot, type App } from './harness';

let app: App;
let browser: Browser;
appAndBrowserPerFile((a, b) => ([app, browser] = [a, b]));

const panel = '[data-testid="run-panel"]';

test('hot-edit lr from the inspector; a fork shows in the lineage tree', async () => {
  const s = await openSession(browser, app, app.url + '/');
  const { page } = s;
  try {
    await loadSmoke(page, 3000);
    await page.click('[data-node-id="get_batch"] .block-title');
    await page.fill('[data-testid="input-batch_size"]', '48'); // slower steps: time to edit mid-run
    await page.keyboard.press('Escape');
    await page.click('[data-testid="run-start"]');
    await page.waitForSelector(`${panel}[data-state="running"]`, { timeout: 30_000 });
    const runId = (await page.getAttribute(panel, 'data-run-id'))!;
    await page.waitForFunction((sel) => Number(document.querySelector(sel)?.getAttribute('data-step')) >= 20, panel, { timeout: 60_000 });

    await page.click('[data-node-id="scheduler"] .block-title');
    await page.waitForSelector('[data-testid="live-edits"]');
    assert.ok((await page.locator('[data-testid="locked-field"]').count()) === 0, 'every scheduler field is live');
    await page.fill('[data-testid="live-field"][data-field="kind"] input', 'constant');
    await page.fill('[data-testid="live-field"][data-field="lr"] input', '0.002');
    await page.click('[data-testid="live-apply"]');
    const applied = await page.locator('[data-testid="live-applied"]').textContent({ timeout: 30_000 });
    const at = Number(/step (\d+)/.exec(applied!)![1]);
    await page.waitForSelector('[data-testid="live-history"] li');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="chart-lr"]')?.getAttribute('data-markers')) === 1, undefined, {
      timeout: 10_000,
    });
    await page.waitForFunction(([sel, n]) => Number(document.querySelector(sel as string)?.getAttribute('data-step')) >= (n as number), [panel, at + 30], {
      timeout: 60_000,
    });
    await screenshot(page, 'experiment-live-edit');

    // The model's fields are locked while it trains, with the reason.
    await page.click('[data-node-id="model"] .block-title');
    await page.waitForSelector('[data-testid="locked-field"]', { state: 'attached' });
    assert.match((await page.locator('[data-testid="locked-field"]').first().textContent())!, /fixed while the run trains/);

    await fetch(`${app.url}/api/runs/${runId}/stop`, { method: 'POST' });
    await page.waitForSelector(`${panel}[data-state="stopped"]`, { timeout: 30_000 });
    const log = (await (await fetch(`${app.url}/api/runs/${runId}/log`)).text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    for (const line of log.filter((l) => typeof l.loss === 'number')) assert.equal(line.lr === 0.002, line.step > at, `step ${line.step}: lr ${line.lr}`);

    // A fork from its first checkpoint with another lr: a tree on /runs.
    const checkpoints = (await (await fetch(`${app.url}/api/runs/${runId}/checkpoints`)).json()).checkpoints;
    const meta = await (await fetch(`${app.url}/api/runs/${runId}/checkpoints/${checkpoints[0].name}.json`)).json();
    const pipeline = meta.pipeline;
    pipeline.nodes.find((n: any) => n.id === 'scheduler').params.lr = 0.001;
    const fork = await fetch(`${app.url}/api/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pipeline, steps: checkpoints[0].step + 20, resume: { run: runId, checkpoint: checkpoints[0].name } }),
    });
    assert.equal(fork.status, 201);
    const forkId = ((await fork.json()) as { id: string }).id;
    await page.goto(app.url + '/runs');
    await page.waitForSelector(`[data-testid="lineage-node"][data-run-id="${forkId}"][data-parent="${runId}"]`, { timeout: 30_000 });
    await page.waitForFunction(
      () => /scheduler\.lr .* @ step \d+/.test(document.querySelector('[data-testid="lineage-label"]')?.textContent ?? ''),
      undefined,
      { timeout: 30_000 },
    );
    await screenshot(page, 'experiment-lineage');
  } finally {
    await closeSession(s);
  }
});

test(
  'hot-edit lr on a browser run (WASM): from the inspector, then through the API; the recorded log changes at each reported step',
  { timeout: 240_000 },
  async () => {
    const s = await openSession(browser, app, app.url + '/');
    const { page } = s;
    try {
      await loadSmoke(page, 3000);
      await page.selectOption('[data-testid="executor"]', 'browser');
      await page.selectOption('[data-testid="browser-backend"]', 'wasm');
      await page.click('[data-testid="run-start"]');
      await page.waitForSelector(`${panel}[data-executor="browser"][data-state="running"]`, { timeout: 30_000 });
      const runId = (await page.getAttribute(panel, 'data-run-id'))!;
      assert.match(runId, /^[0-9a-z]{13}$/, 'recorded on the server');
      await page.waitForFunction((sel) => Number(document.querySelector(sel)?.getAttribute('data-step')) >= 20, panel, { timeout: 60_000 });

      // From the inspector's Live section: the tab takes it from the server like any API edit.
      await page.click('[data-node-id="scheduler"] .block-title');
      await page.waitForSelector('[data-testid="live-edits"]');
      await page.fill('[data-testid="live-field"][data-field="kind"] input', 'constant');
      await page.fill('[data-testid="live-field"][data-field="lr"] input', '0.002');
      await page.click('[data-testid="live-apply"]');
      const applied = await page.locator('[data-testid="live-applied"]').textContent({ timeout: 30_000 });
      const at = Number(/step (\d+)/.exec(applied!)![1]);
      await page.waitForSelector('[data-testid="live-history"] li');
      await page.waitForFunction(() => Number(document.querySelector('[data-testid="chart-lr"]')?.getAttribute('data-markers')) === 1, undefined, {
        timeout: 10_000,
      });
      await page.waitForFunction(([sel, n]) => Number(document.querySelector(sel as string)?.getAttribute('data-step')) >= (n as number), [panel, at + 10], {
        timeout: 60_000,
      });

      // Through the API on the same run.
      const edit = await fetch(`${app.url}/api/runs/${runId}/edit`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ nodeId: 'scheduler', params: { lr: 0.001 } }),
      });
      assert.equal(edit.status, 200, await edit.clone().text());
      const at2 = ((await edit.json()) as { appliedAtStep: number }).appliedAtStep;
      assert.ok(at2 > at, `the API edit at ${at2}, after the inspector's at ${at}`);
      await page.waitForFunction(() => Number(document.querySelector('[data-testid="chart-lr"]')?.getAttribute('data-markers')) === 2, undefined, {
        timeout: 10_000,
      });
      await page.waitForFunction(([sel, n]) => Number(document.querySelector(sel as string)?.getAttribute('data-step')) >= (n as number), [panel, at2 + 10], {
        timeout: 60_000,
      });
      await screenshot(page, 'experiment-browser-live-edit');

      await page.click('[data-testid="run-stop"]');
      await page.waitForSelector(`${panel}[data-state="stopped"]`, { timeout: 30_000 });
      for (let i = 0; ; i++) {
        const status = await (await fetch(`${app.url}/api/runs/${runId}`)).json();
        if (status.state === 'stopped') break;
        assert.ok(i < 100, `the server still says ${status.state}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const log = (await (await fetch(`${app.url}/api/runs/${runId}/log`)).text())
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      const steps = log.filter((l) => typeof l.loss === 'number');
      assert.ok(steps.at(-1).step > at2 + 5);
      for (const line of steps) {
        const expected = line.step > at2 ? 0.001 : line.step > at ? 0.002 : undefined;
        if (expected === undefined) assert.notEqual(line.lr, 0.002, `step ${line.step}: before the edit`);
        else assert.equal(line.lr, expected, `step ${line.step}: lr ${line.lr}`);
      }
      assert.deepEqual(
        log.filter((l) => l.edited).map((l) => l.step),
        [at, at2],
        'each edit is a line of the log at its step',
      );
    } finally {
      await closeSession(s);
    }
  },
);
