// Measures the studio page's first-load JavaScript: serves the current build (run `next build`
// first), opens `/` in headless Chromium and sums the script bytes it downloads until the network
// is idle. Chunks that carry tfjs (tfjs-core's flag registry) are listed separately: the canvas
// should download none of them before a browser run starts. With --run it then starts a browser
// run of the smoke template and lists the tfjs code that arrives with it (the run worker).
// Usage: node --import tsx scripts/first-load-js.ts [--run]
import { spawn } from 'node:child_process';
import { freePort, launchBrowser, serveCommand, ROOT } from '../e2e/harness';

const TFJS_MARKER = 'IS_BROWSER'; // a flag name tfjs-core registers; minification keeps string literals

async function waitForServer(url: string, exited: () => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && !exited()) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the studio server did not answer at ${url}`);
}

const path = '/';
const startRun = process.argv.includes('--run');
const port = await freePort();
const { command, args, env } = serveCommand(port);
const server = spawn(command, args, { cwd: ROOT, stdio: 'ignore', env });
const url = `http://127.0.0.1:${port}`;
const browser = await launchBrowser({ webgpu: false });
try {
  await waitForServer(url, () => server.exitCode !== null);
  const page = await browser.newPage();
  const scripts: { url: string; bytes: number; tfjs: boolean }[] = [];
  page.on('response', async (response) => {
    if (!/\.m?js(\?|$)/.test(new URL(response.url()).pathname)) return;
    const body = await response.body().catch(() => Buffer.alloc(0));
    scripts.push({ url: response.url().replace(url, ''), bytes: body.length, tfjs: body.includes(TFJS_MARKER) });
  });
  await page.goto(url + path, { waitUntil: 'networkidle' });
  await page.waitForTimeout(1000);
  const total = scripts.reduce((sum, s) => sum + s.bytes, 0);
  const tfjs = scripts.filter((s) => s.tfjs);
  console.log(`${path}: ${scripts.length} scripts, ${(total / 1024).toFixed(1)} KiB of JavaScript (uncompressed)`);
  console.log(`chunks with tfjs: ${tfjs.length ? tfjs.map((s) => `${s.url} (${(s.bytes / 1024).toFixed(1)} KiB)`).join(', ') : 'none'}`);
  if (startRun) {
    const before = scripts.length;
    await page.click('[data-testid="templates"]');
    await page.click('[data-testid="template-smoke"]');
    await page.selectOption('[data-testid="executor"]', 'browser');
    await page.click('[data-testid="run-start"]');
    await page.waitForSelector('[data-testid="run-backend"][data-backend]:not([data-backend=""])', { timeout: 120_000 });
    // tfjs's code may be split over several chunks, of which only one holds the flag registry:
    // all the JavaScript that arrives with the run counts.
    const all = scripts.slice(before);
    const arrived = all.filter((s) => s.tfjs);
    const kib = (list: typeof scripts) => (list.reduce((sum, s) => sum + s.bytes, 0) / 1024).toFixed(1);
    console.log(
      `after Run (browser): ${all.length} scripts, ${kib(all)} KiB in all; ${arrived.length} with tfjs's flags, ${kib(arrived)} KiB: ${arrived.map((s) => s.url).join(', ')}`,
    );
  }
} finally {
  await browser.close();
  server.kill('SIGTERM');
}
