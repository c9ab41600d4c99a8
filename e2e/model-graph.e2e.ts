// The model block's insides, in Chromium: open the model, see its layers as blocks, switch the
// feed-forward to relu², make n_kv_heads invalid (the error shows on the attention block and as
// "1 problem inside" on the model block), fix it, go back and run on the node executor.
// Run: node --import tsx --test --test-concurrency=1 e2e/model-graph.e2e.ts
// Screenshots: E2E_SCREENSHOTS=scratch node --import tsx --test e2e/model-graph.e2e.ts
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { appAndBrowserPerFile, clickInner, closeSession, loadSmoke, openModel, openSession, screenshot, type App } from './harness';

let app: App;
let browser: Browser;
appAndBrowserPerFile((a, b) => ([app, browser] = [a, b]));

type InnerNode = { id: string; type: string; params: Record<string, unknown>; graph?: { nodes: InnerNode[] } };
const documentJson = async (page: Page) => JSON.parse(await page.evaluate(() => window.__studio!.documentText!()));
/** An inner node of the model as the document holds it. */
async function innerParams(page: Page, id: string): Promise<Record<string, unknown>> {
  const model = (await documentJson(page)).nodes.find((n: { id: string }) => n.id === 'model');
  const all: InnerNode[] = model.params.graph.nodes.flatMap((n: InnerNode) => [n, ...(n.graph?.nodes ?? [])]);
  return all.find((n) => n.id === id)!.params;
}

test('open the model, edit its layers, see an inner problem outside too, fix it, go back and run', async () => {
  const session = await openSession(browser, app, app.url);
  const { page } = session;
  await loadSmoke(page, 60);
  await openModel(page);
  for (const kind of ['embedding', 'positions', 'repeat', 'norm', 'attention', 'residual', 'ffn', 'lm_head', 'block_in', 'block_out']) {
    assert.ok(await page.locator(`[data-testid="model-canvas"] [data-node-type="${kind}"]`).count(), `an inner ${kind} block`);
  }
  assert.equal(await page.locator('[data-testid="model-canvas"] [data-node-type="norm"]').count(), 3); // norm1, norm2, norm_f
  await screenshot(page, 'model-graph-open');

  // The feed-forward: relu² in the inspector.
  await clickInner(page, 'ffn');
  await page.waitForSelector('[data-testid="inner-inspector"]');
  await page.selectOption('[data-testid="input-kind"]', 'relu2');
  await page.waitForFunction(() => JSON.stringify(JSON.parse(window.__studio!.documentText!())).includes('"relu2"'));
  assert.equal((await innerParams(page, 'ffn')).kind, 'relu2');

  // n_kv_heads 3 does not divide the smoke model's 2 heads: refused on the attention block.
  await clickInner(page, 'attn');
  await page.fill('[data-testid="input-n_kv_heads"]', '3');
  await page.keyboard.press('Tab');
  await page.waitForSelector('[data-testid="model-canvas"] [data-node-id="attn"].has-error');
  const error = await page.locator('[data-node-id="attn"] [data-testid="block-errors"]').innerText();
  assert.match(error, /n_kv_heads/);
  await screenshot(page, 'model-graph-error');

  // Outside, the model block says so.
  await page.click('[data-testid="model-back"]');
  await page.waitForSelector('[data-node-id="model"] [data-testid="problems-inside"]');
  assert.equal(await page.locator('[data-node-id="model"] [data-testid="problems-inside"]').innerText(), '1 problem inside');
  assert.ok(await page.locator('[data-testid="run-start"]').isDisabled(), 'Run waits for the problem to be fixed');
  await screenshot(page, 'model-graph-outside');

  // Fix it inside (double-click opens too), then back.
  await page.dblclick('[data-node-id="model"] .block-title');
  await clickInner(page, 'attn');
  await page.fill('[data-testid="input-n_kv_heads"]', '2');
  await page.keyboard.press('Tab');
  await page.waitForFunction(() => !document.querySelector('[data-node-id="attn"].has-error'));
  assert.equal((await innerParams(page, 'attn')).n_kv_heads, 2);
  await page.click('[data-testid="model-back"]');
  await page.waitForFunction(() => !document.querySelector('[data-testid="problems-inside"]'));

  // Run on the node executor: the relu² model trains and its loss falls.
  await page.waitForFunction(() => !(document.querySelector('[data-testid="run-start"]') as HTMLButtonElement | null)?.disabled);
  await page.click('[data-testid="run-start"]');
  // The run's own end, so a refusal says why (until the engine builds relu², it refuses it here).
  const runs = async () => ((await (await fetch(`${app.url}/api/runs`)).json()) as { runs: { id: string; state: string }[] }).runs;
  const deadline = Date.now() + 120_000;
  let run = (await runs())[0];
  while ((!run || !['completed', 'failed', 'stopped'].includes(run.state)) && Date.now() < deadline) {
    await page.waitForTimeout(500);
    run = (await runs())[0];
  }
  assert.ok(run, 'a run was started');
  const status = (await (await fetch(`${app.url}/api/runs/${run.id}`)).json()) as { state: string; error?: { message: string } };
  assert.equal(status.state, 'completed', `the relu² run: ${JSON.stringify(status.error ?? status.state)}`);
  const log = (await (await fetch(`${app.url}/api/runs/${run.id}/log`)).text())
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { loss: number });
  const mean = (xs: { loss: number }[]) => xs.reduce((a, b) => a + b.loss, 0) / xs.length;
  assert.ok(mean(log.slice(-5)) < mean(log.slice(0, 5)) - 0.5, `loss fell: ${mean(log.slice(0, 5))} -> ${mean(log.slice(-5))}`);
  await screenshot(page, 'model-graph-run');
  await closeSession(session);
});
