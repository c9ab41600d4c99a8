// Your own data in the studio, in Chromium against the production build and the real server:
// drop a text file on the dataset block, watch it tokenize, fix the model's vocabulary in one
// click, see the first batch as text, run, and find the dataset on the Data page.
// Screenshots: E2E_SCREENSHOTS=scratch node --import tsx --test e2e/datasets.e2e.ts
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { appAndBrowserPerFile, closeSession, loadSmoke, openSession, screenshot, type App } from './harness';

let app: App;
let browser: Browser;
appAndBrowserPerFile((a, b) => ([app, browser] = [a, b]));

const shot = (page: Page, name: string) => screenshot(page, `datasets-${name}`);
const panel = '[data-testid="run-panel"]';

/** English-like lines from a word list: something for BPE and a tiny model to learn. */
function words(lines: number): string {
  const vocab = [
    'the',
    'cat',
    'sat',
    'on',
    'a',
    'mat',
    'and',
    'dog',
    'ran',
    'far',
    'away',
    'to',
    'sea',
    'while',
    'quick',
    'brown',
    'foxes',
    'jumped',
    'over',
    'lazy',
    'hounds',
  ];
  let x = 3;
  const next = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return (
    Array.from(
      { length: lines },
      () => Array.from({ length: 4 + Math.floor(next() * 6) }, () => vocab[Math.floor(next() * vocab.length)]).join(' ') + '.',
    ).join('\n') + '\n'
  );
}

test('drop a text file on the dataset block, watch it tokenize, fix the vocab, preview the batch, run', async () => {
  const s = await openSession(browser, app, app.url + '/');
  const { page } = s;
  await loadSmoke(page, 40);
  // BPE with 300 ids: the block's tokenizer choice goes with the dropped file.
  await page.click('[data-node-id="dataset"] .block-title');
  await page.selectOption('[data-testid="input-tokenizer"]', 'bpe');
  await page.fill('[data-testid="input-vocab_size"]', '300');
  await page.keyboard.press('Tab');

  const text = words(15_000); // ~500 kB
  await page.evaluate((content) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([content], 'my-words.txt', { type: 'text/plain' }));
    const block = document.querySelector('[data-node-id="dataset"]')!;
    for (const type of ['dragenter', 'dragover', 'drop']) block.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: transfer }));
  }, text);
  await page.waitForSelector('[data-testid="library-picker"]');
  await page.waitForSelector('[data-testid="library-picker"] [data-testid="dataset-state"][data-state="tokenizing"]', { timeout: 30_000 });
  await shot(page, '01-progress');
  await page.waitForFunction(
    () => (document.querySelector('[data-testid="library-select"]') as HTMLSelectElement | null)?.selectedOptions[0]?.textContent?.includes('my-words'),
    undefined,
    { timeout: 180_000 },
  );
  const id = await page.inputValue('[data-testid="library-select"]');
  assert.match(id, /^ds-[0-9a-f]{12}$/);
  const doc = () => page.evaluate(() => JSON.parse(window.__studio!.documentText!()));
  const dataset = (await doc()).nodes.find((n: any) => n.id === 'dataset');
  assert.deepEqual([dataset.params.source, dataset.params.dataset], ['library', id]);

  // The model has 256 embedding rows; the dataset has more ids (up to 300): one click sets it.
  await page.waitForSelector('[data-testid="vocab-fix"]', { timeout: 180_000 });
  const vocab = ((await (await fetch(`${app.url}/api/datasets/${id}`)).json()) as { vocab_size: number }).vocab_size;
  assert.ok(vocab > 256 && vocab <= 300, `vocab ${vocab}`);
  await page.click('[data-testid="vocab-fix"]');
  // The vocabulary is the model's embedding's (wte, inside the model block).
  await page.waitForFunction(
    (v) =>
      JSON.parse(window.__studio!.documentText!())
        .nodes.find((n: any) => n.id === 'model')
        .params.graph.nodes.find((n: any) => n.id === 'wte').params.vocab_size === v,
    vocab,
  );
  assert.equal(await page.locator('[data-testid="vocab-check"]').count(), 0);

  // The first batch as the run will draw it: x as text with token boundaries, y shifted by one.
  await page.click('[data-node-id="get_batch"] .block-title');
  await page.waitForSelector('[data-testid="batch-window"]');
  const windows = await page.locator('[data-testid="batch-window"]').count();
  assert.equal(windows, 3);
  const first = page.locator('[data-testid="batch-window"]').first();
  const xIds = await first.locator('[data-testid="batch-x"] .tok').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-id'))));
  const yIds = await first.locator('[data-testid="batch-y"] .tok').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-id'))));
  assert.equal(xIds.length, 16);
  assert.deepEqual(xIds.slice(1), yIds.slice(0, -1), 'y is x shifted by one token');
  const start = Number(await first.getAttribute('data-start'));
  const preview = (await (await fetch(`${app.url}/api/datasets/${id}/preview?offset=${start}&length=17`)).json()) as { ids: number[] };
  assert.deepEqual(xIds, preview.ids.slice(0, 16), 'the window read from the dataset at its start');
  const xText = await first.locator('[data-testid="batch-x"]').innerText();
  assert.ok(text.includes(xText.replace(/↵/g, '')), `x is a piece of the uploaded text: ${JSON.stringify(xText)}`);
  await shot(page, '02-batch-preview');

  await page.click('[data-testid="run-start"]');
  await page.waitForSelector(`${panel}[data-state="completed"]`, { timeout: 120_000 });
  const runId = (await page.getAttribute(panel, 'data-run-id'))!;
  const log = (await (await fetch(`${app.url}/api/runs/${runId}/log`)).text())
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { loss?: number })
    .filter((r) => r.loss !== undefined);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const losses = log.map((r) => r.loss!);
  assert.ok(mean(losses.slice(-5)) < mean(losses.slice(0, 5)) - 0.5, `loss fell: ${losses.slice(0, 3)} -> ${losses.slice(-3)}`);
  await page.waitForSelector('[data-testid="chart-loss"]');
  await shot(page, '03-run');

  // The Data page lists it with its stats, and shows its first tokens.
  await page.goto(app.url + '/datasets');
  const row = page.locator(`[data-testid="dataset-row"][data-dataset-id="${id}"]`);
  await row.waitFor();
  assert.equal(await row.getAttribute('data-state'), 'ready');
  await row.locator('[data-testid="dataset-preview-toggle"]').click();
  await page.waitForSelector('[data-testid="dataset-preview"] .tok');
  await shot(page, '04-library');
  // Refused while nothing uses it? Deleting works once the run is over.
  await row.locator('[data-testid="dataset-delete"]').click();
  await row.waitFor({ state: 'detached' });
  await closeSession(s);
});
