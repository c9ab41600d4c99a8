// User journeys with server runs, in Chromium against the production build and the real server
// (Next + API + socket.io, fresh runs folder): press Run, watch the blocks' numbers move, pause,
// download a checkpoint, reload and reconnect mid-run, a run that fails on a node, the runs page
// with two runs overlaid.
// Run: node --import tsx --test --test-concurrency=1 e2e/*.e2e.ts
// Screenshots of each state: E2E_SCREENSHOTS=scratch node --import tsx --test e2e/run.e2e.ts
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { appAndBrowserPerFile, closeSession, loadSmoke, openModel, openSession, screenshot, type App, type Session } from './harness';

let app: App;
let browser: Browser;
appAndBrowserPerFile((a, b) => ([app, browser] = [a, b]));

async function open(path = '/'): Promise<Session> {
  return openSession(browser, app, app.url + path);
}

const close = closeSession;
const shot = (page: Page, name: string) => screenshot(page, `run-${name}`);

const panel = '[data-testid="run-panel"]';
const stepOf = async (page: Page) => Number(await page.getAttribute(panel, 'data-step'));
const pointsOf = async (page: Page, chart = 'chart-loss') => Number(await page.getAttribute(`[data-testid="${chart}"]`, 'data-points'));
const liveValue = async (page: Page, nodeId: string, key: string) =>
  Number(await page.getAttribute(`[data-node-id="${nodeId}"] [data-live="${key}"]`, 'data-value'));

async function waitForState(page: Page, state: string, timeout = 30_000) {
  await page.waitForSelector(`${panel}[data-state="${state}"]`, { timeout });
}

async function waitForStep(page: Page, atLeast: number) {
  await page.waitForFunction(([sel, n]) => Number(document.querySelector(sel as string)?.getAttribute('data-step')) >= (n as number), [panel, atLeast], {
    timeout: 30_000,
  });
}

/** The step once it has not changed for `quietMs` (at most 15 s). */
async function steadyStep(page: Page, quietMs: number): Promise<number> {
  const deadline = Date.now() + 15_000;
  let step = await stepOf(page);
  let since = Date.now();
  while (Date.now() - since < quietMs) {
    assert.ok(Date.now() < deadline, 'the step kept changing for 15 s after pausing');
    await page.waitForTimeout(100);
    const now = await stepOf(page);
    if (now !== step) [step, since] = [now, Date.now()];
  }
  return step;
}

async function waitForPoints(page: Page, atLeast: number) {
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid="chart-loss"]')?.getAttribute('data-points')) >= n, atLeast, {
    timeout: 30_000,
  });
}

/** Stops every run still going (one failed journey must not leave the next one queued). */
async function stopActiveRuns() {
  const { runs } = (await (await fetch(`${app.url}/api/runs`)).json()) as { runs: { id: string; state: string }[] };
  for (const r of runs) if (['queued', 'running', 'paused'].includes(r.state)) await fetch(`${app.url}/api/runs/${r.id}/stop`, { method: 'POST' });
}

/** The attached run's curve as the page holds it: steps 1, 2, 3, ... with no gap and no repeat. */
async function assertWholeCurve(page: Page) {
  const steps = await page.evaluate(() => window.__studio!.runSteps!());
  assert.ok(steps.length > 0);
  assert.deepEqual(
    steps,
    steps.map((_, i) => i + 1),
    'steps go 1, 2, 3, ... without a gap or a duplicate',
  );
}

/** Checks the bytes are a safetensors file: u64 header length, JSON header, tensor data after it. */
function assertSafetensors(bytes: Buffer) {
  const headerLength = Number(bytes.readBigUInt64LE(0));
  assert.ok(headerLength > 2 && 8 + headerLength <= bytes.length, `header length ${headerLength} fits in ${bytes.length} bytes`);
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const tensors = Object.entries(header).filter(([name]) => name !== '__metadata__');
  assert.ok(tensors.length > 3, 'several tensors');
  const end = Math.max(...tensors.map(([, t]) => t.data_offsets[1]));
  assert.equal(8 + headerLength + end, bytes.length, 'the data ends where the header says');
}

test('run from the studio: live blocks, pause, checkpoint download, reload and reconnect continue the curve', async () => {
  const s = await open();
  const { page } = s;
  await loadSmoke(page, 4000); // longer than the test: it is stopped at the end
  // Bigger batches: slow enough steps (~10 per 100 ms event batch) to see the loss fall.
  await page.click('[data-node-id="get_batch"] .block-title');
  await page.fill('[data-testid="input-batch_size"]', '48');
  await page.keyboard.press('Escape');
  // Every value the loss block shows, as the DOM shows it.
  await page.evaluate(() => {
    const seen: number[] = ((window as unknown as { __lossShown: number[] }).__lossShown = []);
    new MutationObserver(() => {
      const v = document.querySelector('[data-node-id="loss"] [data-live="loss"]')?.getAttribute('data-value');
      if (v !== null && v !== undefined && Number(v) !== seen.at(-1)) seen.push(Number(v));
    }).observe(document.querySelector('.react-flow__nodes')!, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-value'] });
  });
  await page.click('[data-testid="run-start"]');
  await waitForState(page, 'running');
  const runId = await page.getAttribute(panel, 'data-run-id');
  assert.match(runId!, /^[0-9a-z]{13}$/);

  // The loss block's own number falls as training goes (from ln 256 ≈ 5.5 for bytes).
  await waitForStep(page, 80);
  const shown = await page.evaluate(() => (window as unknown as { __lossShown: number[] }).__lossShown);
  assert.ok(shown.length >= 5, `the loss block changed ${shown.length} times`);
  const [firstShown, laterLoss] = [shown[0], await liveValue(page, 'loss', 'loss')];
  // The first value shown depends on how many steps the first event batch covers; the log has step 1.
  const firstLogged = JSON.parse((await (await fetch(`${app.url}/api/runs/${runId}/log`)).text()).split('\n')[0]) as { step: number; loss: number };
  assert.equal(firstLogged.step, 1);
  assert.ok(firstLogged.loss > 4.5 && laterLoss < firstLogged.loss - 1.5, `loss fell: ${firstLogged.loss} at step 1 -> ${laterLoss}`);
  assert.ok(
    laterLoss < firstShown,
    `the block's number fell: ${firstShown} -> ${laterLoss} (shown: ${shown
      .slice(0, 8)
      .map((v) => v.toFixed(2))
      .join(', ')} ...)`,
  );
  // Every kind shows its own numbers.
  assert.equal(await liveValue(page, 'model', 'parameters'), 18528);
  assert.ok((await liveValue(page, 'dataset', 'train_tokens')) > 1e6);
  assert.ok((await liveValue(page, 'clip', 'grad_norm')) > 0);
  assert.ok((await liveValue(page, 'scheduler', 'lr')) > 0);
  assert.ok((await liveValue(page, 'eval', 'val_loss')) > 0);
  assert.ok((await liveValue(page, 'log', 'lines')) >= 1);
  assert.ok((await liveValue(page, 'get_batch', 'batches_per_sec')) > 0);
  await page.locator('[data-node-id="sample"] [data-testid="block-sample"]').waitFor();
  assert.ok(await page.locator('[data-node-id="loss"] svg.sparkline').count(), 'the loss block has a sparkline');
  assert.ok((await pointsOf(page)) >= 80);
  assert.ok((await pointsOf(page, 'chart-lr')) >= 80);
  if (process.env.E2E_SCREENSHOTS) {
    // Close enough to read the blocks, then back to the whole graph.
    for (let i = 0; i < 3; i++) await page.click('.react-flow__controls-zoomin');
    await shot(page, '01-running');
    await page.click('.react-flow__controls-fitview');
  }

  // Pause: the steps stop; the run panel and the toolbar say so.
  await page.click('[data-testid="run-pause"]');
  await waitForState(page, 'paused');
  await page.waitForSelector('[data-testid="run-resume"]');
  // The step in progress ends and its events arrive (batched every 100 ms); then nothing moves.
  const pausedAt = await steadyStep(page, 1000);
  await page.waitForTimeout(1500);
  assert.equal(await stepOf(page), pausedAt, 'no step while paused');
  await shot(page, '02-paused');

  // While paused the newest checkpoint stays (keep_last could prune it mid-download otherwise).
  const link = page.locator('[data-node-id="checkpoint"] [data-testid="checkpoint-link"]');
  await link.waitFor();
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  assert.match(download.suggestedFilename(), new RegExp(`^${runId}-ckpt-\\d{6}\\.safetensors$`));
  assertSafetensors(readFileSync(await download.path()));

  await page.click('[data-testid="run-resume"]');
  await waitForState(page, 'running');
  await waitForStep(page, pausedAt + 20);

  // A reload mid-run: the page reattaches and the curve continues where it was, nothing lost or doubled.
  const beforeReload = await pointsOf(page);
  await page.reload();
  await page.waitForSelector(`${panel}[data-run-id="${runId}"]`);
  await waitForPoints(page, beforeReload);
  await assertWholeCurve(page);
  await waitForPoints(page, beforeReload + 40);

  // A dropped connection: socket.io reconnects, the stream resumes after the last seq held.
  const beforeDrop = await pointsOf(page);
  await page.evaluate(() => window.__studio!.dropConnection!());
  await waitForPoints(page, beforeDrop + 40);
  await assertWholeCurve(page);
  await shot(page, '03-after-reload');

  await page.click('[data-testid="run-stop"]');
  await waitForState(page, 'stopped');
  await page.waitForSelector('[data-testid="run-start"]');

  // The runs page lists it.
  await page.click('[data-testid="runs-link"]');
  await page.waitForSelector(`[data-testid="runs-row"][data-run-id="${runId}"][data-state="stopped"]`);
  await close(s);
});

/** vocab_size is the token embedding's, inside the model block. */
async function setVocabSize(page: Page, value: string): Promise<void> {
  await openModel(page);
  await page.click('[data-testid="model-canvas"] [data-node-id="wte"] .block-title');
  await page.fill('[data-testid="input-vocab_size"]', value);
  await page.click('[data-testid="model-back"]');
  await page.waitForSelector('[data-node-id="model"]');
}

test('a run that fails on a node; the runs page overlays two runs and replays one on its graph', async () => {
  await stopActiveRuns();
  const s = await open();
  const { page } = s;
  await loadSmoke(page, 40);
  // A vocabulary too small for the sample's prompt: it compiles, and fails on the sample node at start.
  await setVocabSize(page, '100');
  await page.click('[data-testid="run-start"]');
  await waitForState(page, 'failed');
  const failed = page.locator('.block.has-run-error[data-node-id="sample"]');
  await failed.waitFor();
  assert.match(await failed.locator('[data-testid="block-errors"]').innerText(), /outside the model's vocabulary/);
  assert.match(await page.locator('[data-testid="run-error"]').innerText(), /^sample: .*vocabulary/);
  // The run's error leads to its block.
  await page.click('[data-testid="run-error"]');
  await page.waitForSelector('.react-flow__node.selected[data-id="sample"]');
  await shot(page, '04-failed');

  // Back to a vocabulary that fits: a short run that completes.
  await page.click('.react-flow__controls-fitview');
  await page.waitForTimeout(300);
  await setVocabSize(page, '256');
  await page.click('[data-testid="run-start"]');
  await waitForState(page, 'completed', 60_000);
  const completedId = (await page.getAttribute(panel, 'data-run-id'))!;
  assert.equal(await stepOf(page), 40);
  assert.equal(await page.locator('.block.has-run-error').count(), 0, 'the new run has no error');

  // The executors the server offers (Torch with its device when it has PyTorch), and the export.
  const executors = (await (await fetch(`${app.url}/api/executors`)).json()) as { torch?: { available: boolean; device: string } };
  const expected = [...(executors.torch?.available ? ['Node (server)', `Torch · ${executors.torch.device}`] : ['Node (server)']), 'Browser (this tab)'];
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="executor"] option').length === n, expected.length);
  assert.deepEqual(await page.locator('[data-testid="executor"] option').allTextContents(), expected);
  await page.click('[data-testid="more"]');
  const [zip] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="export-torch"]')]);
  assert.match(zip.suggestedFilename(), /^smoke-.*-torch\.zip$/);
  const zipped = readFileSync(await zip.path());
  assert.equal(zipped.subarray(0, 4).toString('latin1'), 'PK\x03\x04');
  assert.ok(zipped.includes('train.py'), 'the zip holds train.py');

  // Runs page: newest first; tick two runs with curves to overlay them.
  await page.click('[data-testid="runs-link"]');
  await page.waitForSelector(`[data-testid="runs-row"][data-run-id="${completedId}"][data-state="completed"]`);
  const rows = page.locator('[data-testid="runs-row"]');
  assert.ok((await rows.count()) >= 3);
  assert.equal(await rows.first().getAttribute('data-run-id'), completedId);
  await page.waitForSelector('[data-testid="runs-row"][data-state="failed"]');
  const stopped = page.locator('[data-testid="runs-row"][data-state="stopped"]').first();
  await page.locator(`[data-testid="runs-row"][data-run-id="${completedId}"] [data-testid="runs-compare"]`).check();
  await stopped.locator('[data-testid="runs-compare"]').check();
  await page.waitForSelector('[data-testid="overlay"][data-runs="2"]');
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="chart-overlay"]')?.getAttribute('data-points')) >= 40);
  await shot(page, '05-runs-overlay');

  // One run's page: its graph with the recorded numbers on the blocks, and its charts.
  await page.click(`[data-testid="runs-row"][data-run-id="${completedId}"] [data-testid="runs-open"]`);
  await page.waitForSelector('[data-testid="run-canvas"] [data-node-id="loss"] [data-live="loss"]');
  await waitForPoints(page, 40);
  assert.equal(await page.locator('[data-testid="side-checkpoint"]').count(), 2); // keep_last 2
  await shot(page, '06-run-page');
  await close(s);
});
