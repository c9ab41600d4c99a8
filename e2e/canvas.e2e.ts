// User journeys on the canvas editor, in Chromium against the production build.
// One build, one server, one browser for the file; each journey gets a fresh context (empty
// localStorage). Every journey also checks that the page asked nothing of another origin and
// logged no errors.
// Run: node --import tsx --test --test-concurrency=1 e2e/*.e2e.ts
// Screenshots of each state: E2E_SCREENSHOTS=scratch node --import tsx --test e2e/canvas.e2e.ts
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { defaultParams } from '../lib/document';
import { appAndBrowserPerFile, closeSession, openModel, openSession, ROOT, screenshot, type App, type Session } from './harness';

let app: App;
let browser: Browser;
appAndBrowserPerFile((a, b) => ([app, browser] = [a, b]));

const SEED = JSON.parse(readFileSync(join(ROOT, 'pipelines', 'seed.json'), 'utf8'));

/** A fresh browser context on the studio, with the seed pipeline on screen. */
async function open(url = app.url): Promise<Session> {
  const session = await openSession(browser, app, url);
  await session.page.waitForSelector('[data-node-type="model"]');
  return session;
}

const close = closeSession;
const shot = screenshot;

const documentText = (page: Page) => page.evaluate(() => window.__studio!.documentText!());
const documentJson = async (page: Page) => JSON.parse(await documentText(page));
const handle = (nodeId: string, port: string, side: 'source' | 'target') => `.react-flow__handle.${side}[data-nodeid="${nodeId}"][data-handleid="${port}"]`;

async function centreOf(page: Page, selector: string) {
  const box = await page.locator(selector).boundingBox();
  assert.ok(box, `${selector} is on screen`);
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/** Drags a connection from one handle to another; `release: false` leaves the mouse down. */
async function dragConnection(page: Page, from: string, to: string, release = true) {
  const a = await centreOf(page, from);
  const b = await centreOf(page, to);
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  await page.mouse.move(a.x + (b.x - a.x) / 3, a.y + (b.y - a.y) / 3, { steps: 4 });
  await page.mouse.move(b.x, b.y, { steps: 8 });
  if (release) await page.mouse.up();
}

/** Waits for the debounced compiler to settle on `count` problems. */
async function waitForProblems(page: Page, count: number) {
  await page.waitForFunction((n) => document.querySelector('[data-testid="problem-count"]')?.textContent === String(n), count);
}

/** Clicks the canvas where the seed layout leaves it empty (the gap right of the dataset block). */
async function clickEmptyCanvas(page: Page) {
  const dataset = (await page.locator('[data-node-id="dataset"]').boundingBox())!;
  await page.mouse.click(dataset.x + dataset.width + 8, dataset.y + dataset.height / 2);
}

async function selectBlock(page: Page, id: string) {
  await page.click(`[data-node-id="${id}"] .block-title`);
  await page.waitForSelector(`[data-testid="inspector"] h2`);
}

async function saveDownload(page: Page): Promise<{ name: string; text: string; path: string }> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="save"]')]);
  const path = await download.path();
  return { name: download.suggestedFilename(), text: readFileSync(path, 'utf8'), path };
}

test('the seed pipeline renders with every block and connection, palette from the registry', async () => {
  const s = await open();
  const { page } = s;
  for (const node of SEED.nodes) {
    assert.equal(await page.locator(`[data-node-id="${node.id}"][data-node-type="${node.type}"]`).count(), 1, node.id);
  }
  assert.equal(await page.locator('.react-flow__edge').count(), SEED.edges.length);
  // One palette entry per kind, typed handles on the blocks.
  for (const kind of ['dataset', 'get_batch', 'model', 'loss', 'backward', 'clip', 'optimizer', 'scheduler', 'eval', 'checkpoint', 'log', 'sample']) {
    assert.equal(await page.locator(`[data-testid="palette-${kind}"]`).count(), 1, kind);
  }
  assert.equal(await page.locator(handle('model', 'logits', 'source')).count(), 1);
  assert.equal(await page.locator(handle('model', 'x', 'target')).count(), 1);
  await waitForProblems(page, 0);
  await shot(page, '01-seed');
  // The minimap shows only while some block is out of view (a fitted seed fills the corners).
  assert.equal(await page.locator('.react-flow__minimap').count(), 0);
  await page.click('.react-flow__controls-zoomin');
  await page.click('.react-flow__controls-zoomin');
  await page.locator('.react-flow__minimap').waitFor();
  await page.click('.react-flow__controls-fitview');
  await page.locator('.react-flow__minimap').waitFor({ state: 'detached' });

  // The AdamW vs SGD template: two branches in two frames, and it compiles.
  await page.click('[data-testid="templates"]');
  await page.click('[data-testid="template-adamw-vs-sgd"]');
  await page.waitForSelector('[data-node-id="optimizer_sgd"]');
  assert.equal(await page.locator('[data-node-type]').count(), 18 + 1); // blocks + the note
  assert.equal(await page.locator('[data-testid="group-frame"]').count(), 2);
  await waitForProblems(page, 0);
  await shot(page, '01b-adamw-vs-sgd');
  await close(s);
});

test('drag a block from the palette, connect it; a wrong-type connection is refused with the reason', async () => {
  const s = await open();
  const { page } = s;
  const pane = (await page.locator('.react-flow__pane').boundingBox())!;
  await page.dragAndDrop('[data-testid="palette-log"]', '.react-flow__pane', { targetPosition: { x: pane.width * 0.85, y: pane.height * 0.45 } });
  await page.waitForSelector('[data-node-id="log#2"][data-node-type="log"]');
  await waitForProblems(page, 1); // its loss input is not connected yet
  assert.match(await page.locator('[data-testid="problems"]').innerText(), /log#2\.loss/);

  await dragConnection(page, handle('backward', 'loss', 'source'), handle('log#2', 'loss', 'target'));
  await page.waitForSelector('[data-testid="rf__edge-backward.loss->log#2.loss"]', { state: 'attached' });
  await waitForProblems(page, 0);
  const doc = await documentJson(page);
  assert.deepEqual(doc.edges.at(-1), { id: 'backward.loss->log#2.loss', source: 'backward', sourceHandle: 'loss', target: 'log#2', targetHandle: 'loss' });
  assert.deepEqual(doc.nodes.at(-1).params, defaultParams('log')); // dropped with every default
  await shot(page, '02-dropped-and-connected');

  // Logits into a TokenSource input: the hint says why while hovering, nothing is added on release.
  const before = await documentText(page);
  await dragConnection(page, handle('model', 'logits', 'source'), handle('get_batch', 'tokens', 'target'), false);
  const hint = page.locator('[data-testid="connection-hint"]');
  await hint.waitFor();
  assert.equal(await hint.innerText(), 'expected TokenSource, got Logits');
  await shot(page, '03-refused-hint');
  await page.mouse.up();
  await page.locator('[data-testid="toast"]', { hasText: 'expected TokenSource, got Logits' }).waitFor();
  assert.equal(await documentText(page), before);
  assert.equal(await hint.count(), 0);

  // Edges are selectable and deletable; undo brings them back.
  // Click halfway along the drawn path (a routed edge bends: the middle of its box may be off the path).
  const edgeMiddle = await page.evaluate((sel) => {
    const path = document.querySelector(sel) as SVGPathElement;
    const p = path.getPointAtLength(path.getTotalLength() / 2);
    const screen = new DOMPoint(p.x, p.y).matrixTransform(path.getScreenCTM()!);
    return { x: screen.x, y: screen.y };
  }, '[data-testid="rf__edge-loss.loss->backward.loss"] .react-flow__edge-interaction');
  await page.mouse.click(edgeMiddle.x, edgeMiddle.y);
  await page.waitForSelector('.react-flow__edge.selected[data-testid="rf__edge-loss.loss->backward.loss"]', { state: 'attached' });
  await page.keyboard.press('Delete');
  await page.waitForSelector('[data-testid="rf__edge-loss.loss->backward.loss"]', { state: 'detached' });
  await page.keyboard.press('Control+z');
  await page.waitForSelector('[data-testid="rf__edge-loss.loss->backward.loss"]', { state: 'attached' });
  assert.equal(await documentText(page), before);

  // A second edge into an occupied input is refused too.
  await dragConnection(page, handle('dataset', 'valid', 'source'), handle('get_batch', 'tokens', 'target'));
  await page.locator('[data-testid="toast"]', { hasText: 'already fed by dataset.train' }).waitFor();
  assert.equal(await documentText(page), before);
  await close(s);
});

test('switching the optimizer to Muon shows its own settings, hides the others, and the estimate follows', async () => {
  const s = await open();
  const { page } = s;
  await selectBlock(page, 'optimizer');
  assert.equal(await page.locator('[data-testid="param-muon_lr"]').isVisible(), false); // folded: not used by adamw
  await page.selectOption('[data-testid="input-kind"]', 'muon');
  await page.locator('[data-testid="param-muon_lr"]').waitFor();
  for (const key of ['muon_momentum', 'muon_nesterov', 'ns_steps', 'adam_lr', 'adam_beta1', 'adam_weight_decay', 'lr', 'weight_decay']) {
    assert.equal(await page.locator(`[data-testid="param-${key}"]`).isVisible(), true, `${key} shows for muon`);
  }
  for (const key of ['beta1', 'eps', 'momentum', 'initial_accumulator']) {
    assert.equal(await page.locator(`[data-testid="param-${key}"]`).isVisible(), false, `${key} is folded for muon`);
  }
  // The seed's schedule peaks at 0.002, the optimizer's lr is 0.001: Muon would run at twice muon_lr.
  await waitForProblems(page, 1);
  assert.match(await page.locator('[data-testid="problems"]').innerText(), /optimizer\.lr.*must equal the scheduler's lr \(0\.002\)/s);
  await shot(page, '04-optimizer-muon');
  await page.fill('[data-testid="input-lr"]', '0.002');
  await waitForProblems(page, 0);
  const optimizer = (await documentJson(page)).nodes.find((n: { id: string }) => n.id === 'optimizer');
  assert.deepEqual([optimizer.params.kind, optimizer.params.lr], ['muon', 0.002]);
  await close(s);
});

test('switching the optimizer to SGD in the inspector changes the JSON in Monaco, and back', async () => {
  const s = await open();
  const { page } = s;
  await selectBlock(page, 'optimizer');
  assert.equal(await page.locator('[data-testid="param-momentum"]').isVisible(), false); // folded: not used by adamw
  await page.selectOption('[data-testid="input-kind"]', 'sgd');
  await page.locator('[data-testid="param-momentum"]').waitFor();
  assert.equal(await page.locator('[data-testid="param-beta1"]').isVisible(), false);
  await shot(page, '04-optimizer-sgd');

  await page.click('[data-testid="tab-json"]');
  await page.waitForFunction(() => !!window.__studio?.editorText);
  const text = await page.evaluate(() => window.__studio!.editorText!());
  const optimizer = JSON.parse(text).nodes.find((n: { id: string }) => n.id === 'optimizer');
  assert.equal(optimizer.params.kind, 'sgd');
  assert.equal(optimizer.params.beta2, 0.95); // shared params are kept
  assert.equal(text, await documentText(page));
  await shot(page, '05-json-sgd');

  // Editing in Monaco: valid JSON updates the canvas; broken JSON leaves it alone. (Pasted, not
  // typed: typing a whole document would go through Monaco's auto-indent line by line.)
  await page.click('.monaco-editor .view-lines');
  await page.keyboard.press('Control+a');
  await page.evaluate((t) => navigator.clipboard.writeText(t), text.replace('"kind": "sgd"', '"kind": "lion"').replace(SEED.meta.name, 'Edited in JSON'));
  await page.keyboard.press('Control+v');
  await page.locator('.doc-name', { hasText: 'Edited in JSON' }).waitFor();
  assert.equal((await documentJson(page)).nodes.find((n: { id: string }) => n.id === 'optimizer').params.kind, 'lion');
  const good = await documentText(page);
  await page.keyboard.press('Control+End');
  await page.keyboard.insertText('oops');
  await page.locator('[data-testid="json-status"]', { hasText: 'not valid JSON' }).waitFor();
  assert.equal(await documentText(page), good);
  await shot(page, '06-json-invalid');
  await close(s);
});

test('n_heads not dividing d_model: error on the block and in the problems panel; undo restores', async () => {
  const s = await open();
  const { page } = s;
  // n_heads is the attention block's, inside the model block.
  await openModel(page);
  await page.click('[data-testid="model-canvas"] [data-node-id="attn"] .block-title');
  await page.fill('[data-testid="input-n_heads"]', '5');
  await page.waitForSelector('[data-testid="model-canvas"] .block.has-error[data-node-id="attn"]');
  const onBlock = await page.locator('[data-node-id="attn"] [data-testid="block-errors"]').innerText();
  assert.match(onBlock, /divisible by n_heads \(5\)/);
  const problem = page.locator('[data-testid="problem"][data-node-id="model"]');
  assert.match(await problem.innerText(), /^✕\s*model\.attn\.n_heads/);
  assert.match(await page.locator('[data-testid="inspector"] .field-error').first().innerText(), /divisible/);
  await shot(page, '07-n-heads-error');

  // Back on the pipeline the model block says so; clicking the problem opens the model on attn.
  await page.click('[data-testid="model-back"]');
  assert.equal(await page.locator('[data-node-id="model"] [data-testid="problems-inside"]').innerText(), '1 problem inside');
  await problem.click();
  await page.waitForSelector('[data-testid="inner-inspector"] [data-testid="input-n_heads"]');

  await page.click('[data-testid="undo"]');
  await waitForProblems(page, 0);
  assert.equal(await page.locator('.block.has-error').count(), 0);
  const model = (await documentJson(page)).nodes.find((n: { id: string }) => n.id === 'model');
  const attn = model.params.graph.nodes.find((n: { id: string }) => n.id === 'blocks').graph.nodes.find((n: { id: string }) => n.id === 'attn');
  assert.equal(attn.params.n_heads, 4);
  assert.equal(await page.inputValue('[data-testid="input-n_heads"]'), '4');
  await page.click('[data-testid="model-back"]');
  // Redo with the keyboard, undo again with the keyboard.
  await clickEmptyCanvas(page);
  await page.keyboard.press('Control+Shift+z');
  await waitForProblems(page, 1);
  await page.keyboard.press('Control+z');
  await waitForProblems(page, 0);
  await close(s);
});

test('export → import round-trips to identical JSON, and so does the share link', async () => {
  const s = await open();
  const { page } = s;
  // Give the document something of everything: a note and a group (fitted again, so every block is in view).
  await page.click('[data-testid="add-note"]');
  await page.click('.react-flow__controls-fitview');
  await page.click('[data-node-id="clip"] .block-title');
  await page.click('[data-node-id="optimizer"] .block-title', { modifiers: ['Control'] });
  await page.keyboard.press('Control+g');
  await page.locator('[data-testid="group-frame"]').waitFor();
  await shot(page, '08-note-and-group');

  const first = await saveDownload(page);
  assert.equal(first.name, 'seed-byte-level-gpt-on-the-brown-corpus.json');
  assert.equal(first.text, await documentText(page));
  const saved = JSON.parse(first.text);
  assert.equal(saved.notes.length, 1);
  assert.deepEqual(saved.groups[0].nodeIds, ['clip', 'optimizer']);

  // Replace the graph, then open the saved file: identical JSON again.
  await page.click('[data-testid="new"]');
  await page.click('[data-testid="new-empty"]');
  await page.waitForFunction(() => document.querySelectorAll('[data-node-type]').length === 0);
  await page.setInputFiles('[data-testid="open-file"]', first.path);
  await page.waitForSelector('[data-node-id="model"]');
  const second = await saveDownload(page);
  assert.equal(second.text, first.text);

  // Dropping a .json file on the canvas opens it too.
  await page.click('[data-testid="new"]');
  await page.click('[data-testid="new-empty"]');
  await page.waitForFunction(() => document.querySelectorAll('[data-node-type]').length === 0);
  await page.evaluate((text) => {
    const data = new DataTransfer();
    data.items.add(new File([text], 'dropped.json', { type: 'application/json' }));
    const canvas = document.querySelector('[data-testid="canvas"]')!;
    canvas.dispatchEvent(new DragEvent('dragover', { dataTransfer: data, bubbles: true, cancelable: true }));
    canvas.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
  }, first.text);
  await page.locator('[data-testid="toast"]', { hasText: 'Opened dropped.json' }).waitFor();
  assert.equal(await documentText(page), first.text);

  // A broken file is refused with a message; the graph stays.
  await page.setInputFiles('[data-testid="open-file"]', {
    name: 'broken.json',
    mimeType: 'application/json',
    buffer: Buffer.from('{"version": 1, "nodes": 3}'),
  });
  await page.locator('[data-testid="toast"]', { hasText: 'Could not open broken.json' }).waitFor();
  assert.equal(await documentText(page), first.text);

  // Share link (under More): a fresh browser context opening it shows the same document.
  await page.click('[data-testid="more"]');
  await page.click('[data-testid="share"]');
  const url = await page.inputValue('[data-testid="share-url"]');
  assert.match(url, /#p=[A-Za-z0-9_-]+$/);
  const other = await open(url);
  assert.equal(await documentText(other.page), first.text);
  assert.equal(new URL(other.page.url()).hash, ''); // the hash is dropped once loaded
  await shot(other.page, '09-opened-share-link');
  await close(other);
  await close(s);
});

test('copy/paste, notes that never run HTML, and a reload that restores the autosaved graph', async () => {
  const s = await open();
  const { page } = s;
  await page.dblclick('[data-testid="palette-clip"]');
  await page.waitForSelector('[data-node-id="clip#2"]');

  // Copy two blocks, paste: new ids, the edge between them comes along.
  await page.click('[data-node-id="model"] .block-title');
  await page.click('[data-node-id="loss"] .block-title', { modifiers: ['Control'] });
  await page.locator('[data-testid="inspector"] h2', { hasText: '2 items selected' }).waitFor();
  await shot(page, '10-multi-select');
  await page.keyboard.press('Control+c');
  await page.keyboard.press('Control+v');
  await page.waitForSelector('[data-node-id="model#2"]');
  await page.waitForSelector('[data-testid="rf__edge-model#2.logits->loss#2.logits"]', { state: 'attached' });

  // A note with HTML in it: rendered as markdown, the HTML dropped, nothing executed or fetched.
  await page.click('[data-testid="add-note"]');
  await page.dblclick('.note');
  await page.keyboard.press('Control+a');
  await page.keyboard.insertText('**bold** <img src="x" onerror="window.__pwned=1"><script>window.__pwned=2</script>');
  await clickEmptyCanvas(page);
  await page.locator('.note strong', { hasText: 'bold' }).waitFor();
  assert.equal(await page.locator('.note img, .note script').count(), 0);
  assert.equal(await page.evaluate(() => (window as { __pwned?: number }).__pwned), undefined);
  await shot(page, '11-pasted-and-note');

  await page.click('[data-node-id="sample"] .block-title');
  await page.keyboard.press('Delete');
  await page.waitForSelector('[data-node-id="sample"]', { state: 'detached' });
  const edited = await documentText(page);
  await page.reload();
  await page.waitForSelector('[data-node-id="clip#2"]');
  assert.equal(await page.locator('[data-node-id="sample"]').count(), 0);
  assert.equal(await documentText(page), edited);
  await close(s);
});
