// e2e harness: builds the studio once (when .next is missing or older than the sources), serves it
// with the studio's own server (Next + API + socket.io) on a free local port, with a fresh runs
// folder, and drives Debian's Chromium through playwright-core.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { buildIfStale, quietEnv, ROOT } from '../scripts/build-if-stale';

export { ROOT };

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The one place that says how the built app is served: the production studio server. */
export function serveCommand(port: number): { command: string; args: string[]; env: NodeJS.ProcessEnv } {
  return {
    command: process.execPath,
    args: ['--import', 'tsx', 'server/index.ts'],
    env: { ...quietEnv(), NODE_ENV: 'production', PORT: String(port), HOST: '127.0.0.1', RUNS_DIR: mkdtempSync(join(tmpdir(), 'e2e-runs-')) },
  };
}

export interface App {
  url: string;
  stop(): Promise<void>;
}

/** Builds if needed, serves the app and waits until it answers. */
export async function startApp(): Promise<App> {
  buildIfStale();
  const port = await freePort();
  const { command, args, env } = serveCommand(port);
  const child: ChildProcess = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env });
  let log = '';
  child.stdout?.on('data', (d) => (log += d));
  child.stderr?.on('data', (d) => (log += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}):\n${log}`);
    try {
      const response = await fetch(url);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new Error(`server did not answer within 60 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Debian's Chromium, headless; with WebGPU (SwiftShader here) unless `webgpu: false`. */
export function launchBrowser({ webgpu = true }: { webgpu?: boolean } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...(webgpu ? ['--enable-unsafe-webgpu'] : []),
    ],
  });
}

/**
 * Serves the app and starts Chromium once for the calling test file (node:test before/after hooks),
 * handing both to `use` before the first test; they are closed after the last.
 * @example let app: App; let browser: Browser; appAndBrowserPerFile((a, b) => ([app, browser] = [a, b]));
 */
export function appAndBrowserPerFile(use: (app: App, browser: Browser) => void): void {
  let app: App | undefined;
  let browser: Browser | undefined;
  before(async () => {
    app = await startApp();
    browser = await launchBrowser();
    use(app, browser);
  });
  after(async () => {
    await browser?.close();
    await app?.stop();
  });
}

/** A fresh context (empty localStorage) at 1280×800 with clipboard access. */
export async function newPage(browser: Browser, url: string): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: url });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  return { context, page, errors };
}

/** A browser context on the studio that records page errors and requests outside its origin. */
export interface Session {
  context: BrowserContext;
  page: Page;
  errors: string[];
  foreign: string[];
}

/** Opens `url` (on `app`) in a fresh context, recording requests that leave the app's origin. */
export async function openSession(browser: Browser, app: App, url: string): Promise<Session> {
  const { context, page, errors } = await newPage(browser, app.url);
  const foreign: string[] = [];
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(`${app.url}/`) && u !== app.url && !u.startsWith('data:') && !u.startsWith('blob:')) foreign.push(u);
  });
  await page.goto(url);
  return { context, page, errors, foreign };
}

/** Ends a journey: no requests outside the origin, no page errors. */
export async function closeSession(s: Session): Promise<void> {
  assert.deepEqual(s.foreign, [], 'requests outside the origin');
  assert.deepEqual(s.errors, [], 'errors in the page');
  await s.context.close();
}

/** Saves a screenshot under $E2E_SCREENSHOTS (relative to the repo) when that is set. */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = process.env.E2E_SCREENSHOTS;
  if (!dir) return;
  await page.waitForTimeout(400); // let viewport animations (fit, centre) finish
  await page.screenshot({ path: join(ROOT, dir, `e2e-${name}.png`) });
}

/** Loads the smoke template on the studio's canvas and sets its run to `steps` steps (the inspector open, nothing selected). */
export async function loadSmoke(page: Page, steps: number): Promise<void> {
  await page.waitForSelector('[data-node-id="model"]');
  await page.click('[data-testid="templates"]');
  await page.click('[data-testid="template-smoke"]');
  await page.locator('.doc-name', { hasText: 'Smoke' }).waitFor();
  await page.click('[data-testid="tab-inspector"]');
  // Nothing selected: the inspector shows the pipeline's settings.
  await page.keyboard.press('Escape');
  await page.fill('[data-testid="input-training-steps"]', String(steps));
  await page.waitForFunction((n) => JSON.parse(window.__studio!.documentText!()).training.steps === n, steps);
}

/** Opens the model's inner canvas and waits for its first view, so clicks land where the blocks are drawn. */
export async function openModel(page: Page): Promise<void> {
  await page.click('[data-node-id="model"] [data-testid="open-model"]');
  await page.waitForSelector('[data-testid="model-canvas"][data-view-ready]');
}

/**
 * Clicks an inner block's title on the model canvas, zooming out first (the canvas's − button, as a
 * user would) while the block lies outside the canvas: the canvas opens at a readable zoom from the
 * model's top, so lower blocks of a tall model start out of view.
 */
export async function clickInner(page: Page, id: string): Promise<void> {
  const pane = page.locator('[data-testid="model-canvas"] .react-flow');
  const title = page.locator(`[data-testid="model-canvas"] [data-node-id="${id}"] .block-title`);
  for (let tries = 0; tries < 8; tries++) {
    const [p, t] = await Promise.all([pane.boundingBox(), title.boundingBox()]);
    if (p && t && t.y >= p.y && t.y + t.height <= p.y + p.height && t.x >= p.x && t.x + t.width <= p.x + p.width) break;
    await page.click('[data-testid="model-canvas"] .react-flow__controls-zoomout');
  }
  await title.click();
}
