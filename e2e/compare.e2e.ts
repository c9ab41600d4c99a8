// The compare view in Chromium: a sweep of three learning rates launched through the API, then
// /compare shows their curves overlaid, the table with each best val loss, and the graph diff
// naming the swept field; an unknown run is named and the rest still shown. A run edited live
// differs from its unedited twin by that edit, listed on its block with its step.
// Screenshots: E2E_SCREENSHOTS=scratch node --import tsx --test e2e/compare.e2e.ts
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Browser } from 'playwright-core';
import { appAndBrowserPerFile, closeSession, loadSmoke, openSession, ROOT, screenshot, type App } from './harness';

let app: App;
let browser: Browser;
appAndBrowserPerFile((a, b) => ([app, browser] = [a, b]));

const LRS = [2e-3, 5e-3, 1e-2];

async function sweepOfThree(): Promise<string[]> {
  const pipeline = JSON.parse(readFileSync(join(ROOT, 'pipelines/smoke.json'), 'utf8'));
  const reply = await fetch(`${app.url}/api/sweeps`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ pipeline, executor: 'node', steps: 20, axes: [{ nodeId: 'scheduler', field: 'lr', values: LRS }] }),
  });
  assert.equal(reply.status, 201);
  const { id, runs } = await reply.json();
  const deadline = Date.now() + 120_000;
  for (;;) {
    const sweep = await (await fetch(`${app.url}/api/sweeps/${id}`)).json();
    if (sweep.state === 'completed') return runs;
    assert.ok(Date.now() < deadline, `sweep still ${sweep.state}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

test('compare a sweep of three: overlaid curves, the table with best val loss, the graph diff', async () => {
  const runs = await sweepOfThree();
  const s = await openSession(browser, app, `${app.url}/runs`);
  const { page } = s;
  await page.setViewportSize({ width: 1440, height: 900 });
  // The runs list groups the sweep's points under it, with their values and best val loss.
  const group = page.locator('[data-testid="runs-sweep"]');
  await group.waitFor();
  assert.match((await group.textContent()) ?? '', /scheduler\.lr × 3 · 3 runs, 3 completed/);
  const points = await page.locator('[data-testid="runs-sweep-point"]').allTextContents();
  assert.deepEqual(
    points,
    LRS.map((lr) => `scheduler.lr=${lr}`),
  );
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="runs-best-val"]')].filter((c) => /^\d/.test(c.textContent ?? '')).length >= 3);
  // Filters: none of them is running; all three are node runs named Smoke.
  await page.selectOption('[data-testid="runs-filter-state"]', 'active');
  assert.equal(await page.locator('[data-testid="runs-row"]').count(), 0);
  await page.selectOption('[data-testid="runs-filter-state"]', 'all');
  await page.fill('[data-testid="runs-filter-name"]', 'smoke');
  assert.equal(await page.locator('[data-testid="runs-row"]').count(), 3);
  await screenshot(page, 'runs-sweep');
  // Ticking two offers the compare view; the sweep's own link compares all three.
  await page.locator('[data-testid="runs-compare"]').nth(0).check();
  await page.locator('[data-testid="runs-compare"]').nth(1).check();
  assert.match((await page.getAttribute('[data-testid="runs-compare-open"]', 'href')) ?? '', /^\/compare\?runs=\w{13},\w{13}$/);
  await page.click('[data-testid="runs-sweep-compare"]');
  await page.waitForSelector('[data-testid="compare"][data-runs="3"]');
  // A shared URL naming a run this server does not have shows the rest.
  await page.goto(`${app.url}/compare?runs=${[...runs, '0000000000zzz'].join(',')}`);
  await page.waitForSelector('[data-testid="compare"][data-runs="3"]');
  assert.match((await page.textContent('[data-testid="compare-missing"]')) ?? '', /0000000000zzz.*not on this server/);

  // Five charts, each with a curve per run once the histories have replayed.
  assert.equal(await page.locator('[data-testid="compare-chart"]').count(), 5);
  await page.waitForFunction(
    () => [...document.querySelectorAll('[data-testid="compare-chart"]')].every((c) => Number(c.getAttribute('data-points')) > 0),
    null,
    { timeout: 30_000 },
  );

  // The table: one row per run, each with a best val loss at step 20 (smoke evaluates at 10 and 20).
  const table = page.locator('[data-testid="compare-table"]');
  await page.waitForFunction(
    () => [...document.querySelectorAll('[data-testid="compare-row"] [data-col="bestValLoss"]')].every((c) => /^\d+\.\d+ @ (10|20)$/.test(c.textContent ?? '')),
    null,
    { timeout: 30_000 },
  );
  assert.equal(await table.locator('[data-testid="compare-row"]').count(), 3);
  for (const lr of LRS) assert.match((await table.textContent()) ?? '', new RegExp(`scheduler\\.lr=${lr}`));

  // Sorting by best val loss orders the rows by their numbers.
  await table.locator('th', { hasText: 'Best val loss' }).locator('button').click();
  const best = await table.locator('[data-col="bestValLoss"]').allTextContents();
  const values = best.map((t) => Number(t.split(' @ ')[0]));
  assert.deepEqual(
    values,
    [...values].sort((a, b) => a - b),
  );

  // CSV of what the table shows.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="compare-csv"]')]);
  const csv = readFileSync((await download.path())!, 'utf8')
    .trim()
    .split('\n');
  assert.equal(csv.length, 4);
  assert.match(csv[0], /^run,name,differs,/);

  // The graph diff: the scheduler is changed, listing lr old -> new for the two later runs.
  const diff = page.locator('[data-testid="graph-diff"]');
  await diff.locator('[data-diff-node="scheduler"][data-diff="changed"]').waitFor();
  const changes = await diff.locator('[data-diff-node="scheduler"] [data-testid="diff-changes"]').textContent();
  assert.match(changes ?? '', /lr\s*0\.002\s*→\s*0\.005/);
  assert.match(changes ?? '', /lr\s*0\.002\s*→\s*0\.01/);
  assert.equal(await diff.locator('[data-diff="changed"]').count(), 1, 'only the scheduler differs');

  // Another x axis redraws the charts.
  await page.selectOption('[data-testid="compare-x"]', 'tokens');
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="compare-chart"]')?.getAttribute('data-points')) > 0);
  await screenshot(page, 'compare-sweep');
  // The unknown run's pipeline request is the one expected 404.
  const expected = s.errors.filter((e) => /status of 404/.test(e));
  assert.equal(expected.length, 1);
  s.errors.splice(s.errors.indexOf(expected[0]), 1);
  await closeSession(s);
});

test('two runs with the same graph say so', async () => {
  const pipeline = JSON.parse(readFileSync(join(ROOT, 'pipelines/smoke.json'), 'utf8'));
  const ids: string[] = [];
  for (let i = 0; i < 2; i++) {
    const reply = await fetch(`${app.url}/api/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pipeline, steps: 2 }),
    });
    ids.push((await reply.json()).id);
  }
  const s = await openSession(browser, app, `${app.url}/compare?runs=${ids.join(',')}`);
  await s.page.waitForSelector('[data-testid="graph-diff"][data-identical="true"]');
  assert.match((await s.page.textContent('[data-testid="graph-diff"]')) ?? '', /identical graphs/);
  await closeSession(s);
});

/** POST (or GET) JSON on the app's API. */
async function call(path: string, body?: unknown): Promise<any> {
  const reply = await fetch(
    `${app.url}${path}`,
    body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
  );
  const json = await reply.json();
  assert.ok(reply.ok, `${path}: ${reply.status} ${JSON.stringify(json)}`);
  return json;
}

/** A node run of the smoke pipeline, long enough to be edited, once it has trained a few steps. */
async function runningSmoke(): Promise<string> {
  const pipeline = JSON.parse(readFileSync(join(ROOT, 'pipelines/smoke.json'), 'utf8'));
  const { id } = await call('/api/runs', { pipeline, steps: 5000 });
  const deadline = Date.now() + 120_000;
  while ((await call(`/api/runs/${id}`)).step < 3) {
    assert.ok(Date.now() < deadline, `run ${id} does not train`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return id;
}

/** Stops a run and waits until it has. */
async function stopped(id: string): Promise<void> {
  await call(`/api/runs/${id}/stop`, {});
  const deadline = Date.now() + 60_000;
  while (['running', 'paused', 'queued'].includes((await call(`/api/runs/${id}`)).state)) {
    assert.ok(Date.now() < deadline, `run ${id} does not stop`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test("a hot edit is part of the run's graph: two runs of one pipeline, one edited, differ by that edit and its step", async () => {
  // One after the other: a training slot each.
  const plain = await runningSmoke();
  await stopped(plain);
  const edited = await runningSmoke();
  const { appliedAtStep } = await call(`/api/runs/${edited}/edit`, { nodeId: 'scheduler', params: { lr: 0.003 } });
  // A prompt to the live run: kept with it and listed on its page.
  const answer = await call(`/api/runs/${edited}/sample`, { prompt: 'The ', max_new_tokens: 12 });
  await stopped(edited);

  const s = await openSession(browser, app, `${app.url}/compare?runs=${plain},${edited}`);
  const { page } = s;
  await page.setViewportSize({ width: 1440, height: 900 });
  const diff = page.locator('[data-testid="graph-diff"][data-identical="false"]');
  await diff.waitFor();
  const block = diff.locator('[data-diff-node="scheduler"][data-diff="changed"]');
  await block.waitFor();
  assert.equal((await block.locator('[data-testid="diff-edit"]').textContent())?.trim(), `✎ lr 0.01 → 0.003 @ step ${appliedAtStep}`);
  assert.match((await block.locator('[data-testid="diff-changes"]').textContent()) ?? '', /lr\s*0\.01\s*→\s*0\.003/);
  assert.equal(await diff.locator('[data-diff="changed"]').count(), 1, 'only the scheduler differs');
  assert.match((await page.textContent('[data-testid="compare-table"]')) ?? '', new RegExp(`edited scheduler\\.lr 0\\.01 → 0\\.003 @ step ${appliedAtStep}`));
  await block.scrollIntoViewIfNeeded();
  await screenshot(page, 'compare-hot-edit');

  await page.goto(`${app.url}/runs/${edited}`);
  const prompts = page.locator('[data-testid="run-prompts"]');
  await prompts.waitFor();
  const listed = (await prompts.textContent()) ?? '';
  assert.ok(listed.includes(answer.text) && listed.includes(`@ step ${answer.step} · live`), listed);
  await screenshot(page, 'run-prompts');
  // In the studio, after a reload: listed under the sample block.
  await page.click('[data-testid="open-in-studio"]');
  await page.waitForSelector('[data-node-id="sample"]');
  await page.reload();
  await page.click('[data-node-id="sample"] .block-title');
  const box = page.locator('[data-testid="prompt-answers"] [data-testid="prompt-answer"]');
  await box.first().waitFor();
  assert.ok(((await box.first().textContent()) ?? '').includes(answer.text));
  await box.first().scrollIntoViewIfNeeded();
  await screenshot(page, 'sample-block-prompts');
  await closeSession(s);
});

test('a sweep from the inspector: three values of the scheduler lr, launched, compared', async () => {
  const s = await openSession(browser, app, app.url);
  const { page } = s;
  await loadSmoke(page, 10);
  await page.click('[data-node-id="scheduler"] .block-title');

  await page.click('[data-testid="sweep-lr"]');
  await page.fill('[data-testid="sweep-values"]', '2e-3, 5e-3, fast');
  assert.match((await page.textContent('[data-testid="sweep-preview"]')) ?? '', /"fast" is not a number/);
  assert.equal(await page.isDisabled('[data-testid="sweep-apply"]'), true);
  // A log range instead: 1e-3 to 1e-2, three values.
  await page.selectOption('[data-testid="sweep-mode"]', 'log');
  await page.fill('[data-testid="sweep-from"]', '0.001');
  await page.fill('[data-testid="sweep-to"]', '0.01');
  await page.fill('[data-testid="sweep-count"]', '3');
  assert.match((await page.textContent('[data-testid="sweep-preview"]')) ?? '', /3 values: 0\.001, 0\.00316, 0\.01/);
  await page.click('[data-testid="sweep-apply"]');
  assert.match((await page.textContent('[data-testid="param-lr"]')) ?? '', /swept ×3/);
  // The sweep is part of the document (saved and shared with it).
  const doc = JSON.parse(await page.evaluate(() => window.__studio!.documentText!()));
  assert.deepEqual(doc.sweep.axes, [{ nodeId: 'scheduler', field: 'lr', values: [0.001, 0.00316, 0.01] }]);
  await screenshot(page, 'sweep-editor');

  await page.click('[data-testid="sweep-launch"]');
  await page.waitForURL(/\/compare\?runs=/);
  await page.waitForSelector('[data-testid="compare"][data-runs="3"]');
  await screenshot(page, 'sweep-launched');
  await page.waitForFunction(
    () => {
      const states = [...document.querySelectorAll('[data-testid="compare-row"] [data-col="state"]')];
      return states.length === 3 && states.every((c) => /completed/i.test(c.textContent ?? ''));
    },
    null,
    { timeout: 180_000 },
  );
  assert.match((await page.textContent('[data-testid="graph-diff"]')) ?? '', /lr/);
  await closeSession(s);
});
