// Builds the Next app (`next build`) unless .next/BUILD_ID is newer than every source file.
// Used by `npm run studio` and the e2e harness. Run directly: node --import tsx scripts/build-if-stale.ts
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const NEXT_BIN = join(ROOT, 'node_modules', 'next', 'dist', 'bin', 'next');
/** What the client bundle is built from; a newer file here means the build is stale. */
const SOURCES = ['app', 'components', 'lib', 'engine', 'pipelines', 'next.config.js', 'package.json'];

/** Newest modification time (ms) of the files under `path`, skipping tests. */
function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return /\.(test|e2e)\.ts$/.test(path) ? 0 : stat.mtimeMs;
  let newest = 0;
  for (const name of readdirSync(path)) {
    if (name === 'node_modules' || name.startsWith('.') || name === 'fixtures') continue;
    newest = Math.max(newest, newestMtime(join(path, name)));
  }
  return newest;
}

/** The environment for Next: no telemetry (the studio makes no request outside the machine). */
export function quietEnv(): NodeJS.ProcessEnv {
  return { ...process.env, NEXT_TELEMETRY_DISABLED: '1' };
}

/** Whether `next build` must run: no build, or one older than the sources. */
export function buildIsStale(): boolean {
  const buildId = join(ROOT, '.next', 'BUILD_ID');
  const built = existsSync(buildId) ? statSync(buildId).mtimeMs : 0;
  return built <= Math.max(...SOURCES.map((s) => newestMtime(join(ROOT, s))));
}

/** Runs `next build` when the build is missing or older than the sources (or `force`). */
export function buildIfStale(force = !!process.env.E2E_REBUILD): boolean {
  if (!buildIsStale() && !force) return false;
  const started = Date.now();
  const result = spawnSync(process.execPath, [NEXT_BIN, 'build'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', env: quietEnv() });
  if (result.status !== 0) throw new Error(`next build failed:\n${result.stdout}\n${result.stderr}`);
  console.log(`# next build took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return true;
}

/** Seconds between "still building" lines while Next is quiet. */
const QUIET_LINE_S = 10;

/**
 * `next build` with its output shown as it comes (prefixed), and a line every few seconds while
 * it is quiet, so a first start (minutes on a slow machine) never looks frozen. Rejects on failure.
 */
export function buildWithProgress(say: (line: string) => void = console.log): Promise<void> {
  const started = Date.now();
  const seconds = () => Math.round((Date.now() - started) / 1000);
  let lastLine = Date.now();
  const child = spawn(process.execPath, [NEXT_BIN, 'build'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: quietEnv() });
  const relay = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split(/\r?\n/)) {
      if (line.trim()) say(`  next build │ ${line}`);
    }
    lastLine = Date.now();
  };
  child.stdout.on('data', relay);
  child.stderr.on('data', relay);
  const ticker = setInterval(() => {
    if (Date.now() - lastLine < QUIET_LINE_S * 1000) return;
    say(`  still building the app (${seconds()} s so far; a first build takes a few minutes, later starts skip it)…`);
    lastLine = Date.now();
  }, 1000);
  return new Promise((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(ticker);
      if (code === 0) {
        say(`Built the app in ${seconds()} s.`);
        resolvePromise();
      } else reject(new Error(`next build failed (exit ${code}); its output is above`));
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) buildIfStale(process.argv.includes('--force'));
