// Measures the studio page's first-load JavaScript: serves the current build (run `next build`
// first), opens `/` in headless Chromium and sums the script bytes it downloads until the network
// is idle. Chunks that carry tfjs (tfjs-core's flag registry) are listed separately: the canvas
// should download none of them before a browser run starts.
// Usage: node --import tsx scripts/first-load-js.ts [path=/]
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

const path = process.argv[2] ?? '/';
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
    if (response.request().resourceType() !== 'script') return;
    const body = await response.body().catch(() => Buffer.alloc(0));
    scripts.push({ url: response.url().replace(url, ''), bytes: body.length, tfjs: body.includes(TFJS_MARKER) });
  });
  await page.goto(url + path, { waitUntil: 'networkidle' });
  await page.waitForTimeout(1000);
  const total = scripts.reduce((sum, s) => sum + s.bytes, 0);
  const tfjs = scripts.filter((s) => s.tfjs);
  console.log(`${path}: ${scripts.length} scripts, ${(total / 1024).toFixed(1)} KiB of JavaScript (uncompressed)`);
  console.log(`chunks with tfjs: ${tfjs.length ? tfjs.map((s) => `${s.url} (${(s.bytes / 1024).toFixed(1)} KiB)`).join(', ') : 'none'}`);
} finally {
  await browser.close();
  server.kill('SIGTERM');
}
