// The browser executor in Chromium: the smoke pipeline trains in a Web Worker of the page on
// WebGPU (SwiftShader here, via --enable-unsafe-webgpu, chosen by name) and matches the node
// executor step for step; checkpoints move between the two executors both ways; auto skips the
// software GPUs for WASM and says why; the app serves the corpus with Range requests and tfjs's wasm binaries.
// Driven through app/browser-test (a bare page over lib/browser-executor.ts) until the studio's
// toolbar offers the browser executor.
// Run: node --import tsx --test --test-concurrency=1 e2e/browser-executor.e2e.ts
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { TestRunReport, TestRunRequest } from '../app/browser-test/page';
import type { RunEvent } from '../engine/events';
import { directoryCheckpointStore, readCheckpointFile } from '../engine/node/checkpoint-dir';
import { trainPipeline } from '../engine/node/train';
import { appAndBrowserPerFile, launchBrowser, newPage, ROOT, type App } from './harness';

const SMOKE = JSON.parse(readFileSync(join(ROOT, 'pipelines', 'smoke.json'), 'utf8'));
const STEPS = 20;
const tmp = mkdtempSync(join(tmpdir(), 'e2e-browser-exec-'));
// An empty DATA_DIR for the server (and the node runs here): the corpus route prepares brown-byte
// on its first request.
const DATA_DIR = join(tmp, 'data');

process.env.DATA_DIR = DATA_DIR; // the harness passes this process's environment to the server
let app: App;
let browser: Browser;
appAndBrowserPerFile((a, b) => ([app, browser] = [a, b]));
after(() => rmSync(tmp, { recursive: true, force: true })); // after the harness has stopped the server

/** Opens the test page in a fresh context and runs one browser run there; also checks the page stayed clean. */
async function browserRun(request: TestRunRequest, on: Browser = browser): Promise<TestRunReport> {
  const { context, page, errors } = await newPage(on, app.url);
  const foreign: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(`${app.url}/`) && !r.url().startsWith('blob:') && !r.url().startsWith('data:')) foreign.push(r.url());
  });
  try {
    await page.goto(`${app.url}/browser-test`);
    await page.waitForFunction(() => !!window.__browserTest);
    const report = await page.evaluate((req) => window.__browserTest!.run(req), request);
    assert.deepEqual(foreign, [], 'requests outside the origin');
    assert.deepEqual(errors, [], 'errors in the page');
    return report;
  } finally {
    await context.close();
  }
}

/** The node executor in this process (wasm), on the same corpus folder the server serves. */
async function nodeRun(outDir: string, resume?: string) {
  const events: RunEvent[] = [];
  const outcome = await trainPipeline({
    pipeline: SMOKE,
    outDir,
    backend: 'wasm',
    dataDir: DATA_DIR,
    sink: { emit: (e) => void events.push(e) },
    ...(resume ? { resume } : {}),
  });
  assert.ok(outcome.compiled && outcome.result.status === 'completed', JSON.stringify(outcome));
  return { events, losses: new Map(events.flatMap((e) => (e.type === 'step' ? [[e.step, e.data.loss] as const] : []))) };
}

/** Asserts two loss curves agree step by step within `rel` (relative); returns the largest difference. */
function assertClose(actual: Map<number, number>, expected: Map<number, number>, rel: number, what: string): number {
  assert.deepEqual([...actual.keys()], [...expected.keys()], `${what}: the same steps`);
  let worst = 0;
  for (const [step, loss] of expected) {
    const diff = Math.abs(actual.get(step)! - loss) / Math.abs(loss);
    assert.ok(diff <= rel, `${what}: step ${step} loss ${actual.get(step)} vs ${loss} (relative ${diff.toExponential(2)} > ${rel})`);
    worst = Math.max(worst, diff);
  }
  return worst;
}

const lossesOf = (report: TestRunReport) => new Map(report.steps.map((s) => [s.step, s.loss]));
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

let nodeReference: Awaited<ReturnType<typeof nodeRun>>;
let webgpu: TestRunReport;

test('the app prepares and serves the corpus read-only with Range requests, and the tfjs wasm binaries', async () => {
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${app.url}${path}`, { headers });
  assert.ok(!existsSync(join(DATA_DIR, 'brown-byte')));
  const meta = await get('/data/brown-byte/meta.json'); // prepares the byte-level corpus first
  assert.equal(meta.status, 200);
  assert.ok(existsSync(join(DATA_DIR, 'brown-byte', 'train_ids.npy')));
  const { train_tokens, dtype } = (await meta.json()) as { train_tokens: number; dtype: string };
  const head = await get('/data/brown-byte/train_ids.npy', { Range: 'bytes=0-5' });
  assert.equal(head.status, 206);
  assert.match(head.headers.get('content-range')!, /^bytes 0-5\/\d+$/);
  assert.deepEqual(new Uint8Array(await head.arrayBuffer()), new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59])); // \x93NUMPY
  const total = Number(head.headers.get('content-range')!.split('/')[1]);
  assert.ok(total >= train_tokens * (dtype === 'uint16' ? 2 : 4), 'the whole file is ids plus a header');
  assert.equal((await get('/data/brown-byte/train_ids.npy', { Range: `bytes=${total}-` })).status, 416);
  for (const path of [
    '/data/brown-byte/../../package.json',
    '/data/brown-byte/%2e%2e%2fpackage.json',
    '/data/..%2f..%2fpackage.json',
    '/data/brown-byte/train_ids.npy.tmp-1',
    '/data/pipelines/smoke.json',
  ]) {
    const response = await get(path);
    assert.equal(response.status, 404, path);
    await response.body?.cancel();
  }
  const unprepared = await get('/data/brown-bpe999/meta.json');
  assert.equal(unprepared.status, 404);
  assert.match(((await unprepared.json()) as { error: string }).error, /brown-bpe999 is not prepared on this server/);
  const wasm = await get('/tfjs-wasm/tfjs-backend-wasm-simd.wasm');
  assert.equal(wasm.status, 200);
  assert.equal(wasm.headers.get('content-type'), 'application/wasm');
  assert.deepEqual(new Uint8Array(await wasm.arrayBuffer()).subarray(0, 4), new Uint8Array([0, 0x61, 0x73, 0x6d])); // \0asm
  assert.equal((await get('/tfjs-wasm/tfjs-backend-wasm.js')).status, 404);
  // The pthread workers' glue (engine/browser/wasm-threads.ts), and the isolation threads need.
  const glue = await get('/tfjs-wasm/tfjs-backend-wasm-threaded-simd.js');
  assert.equal(glue.headers.get('content-type'), 'text/javascript');
  assert.match(await glue.text(), /var WasmBackendModuleThreadedSimd = /);
  const page = await get('/browser-test');
  assert.equal(page.headers.get('cross-origin-opener-policy'), 'same-origin');
  assert.equal(page.headers.get('cross-origin-embedder-policy'), 'require-corp');
  await page.body?.cancel();
});

test("WebGPU in the page's worker matches the node executor for 20 steps, with flat memory and a responsive page", async (t) => {
  nodeReference = await nodeRun(join(tmp, 'node'));
  // Named: under auto this SwiftShader adapter is skipped as software (see the fallback test).
  webgpu = await browserRun({ steps: STEPS, backend: 'webgpu' });
  assert.equal(webgpu.result.status, 'completed', JSON.stringify(webgpu.result));
  assert.equal(webgpu.backend?.name, 'webgpu');
  assert.equal(webgpu.result.backend, 'webgpu');
  assert.deepEqual(webgpu.backend?.fallbacks, []);
  const worst = assertClose(lossesOf(webgpu), nodeReference.losses, 1e-3, 'webgpu vs node');
  t.diagnostic(
    `webgpu vs node (wasm): largest relative loss difference over ${STEPS} steps ${worst.toExponential(2)}; ` +
      `final loss ${webgpu.steps.at(-1)!.loss.toFixed(5)} vs ${nodeReference.losses.get(STEPS)!.toFixed(5)}`,
  );
  // The same event stream as the server's: started, per-step metrics and steps, evals, checkpoints, finished.
  const started = webgpu.eventTypes.indexOf('run/started');
  assert.equal(started, 0);
  assert.equal(webgpu.eventTypes.at(-1), 'run/finished');
  assert.equal(webgpu.eventTypes.filter((t) => t === 'step').length, STEPS);
  assert.deepEqual(
    webgpu.evals.map((e) => e.step),
    [10, 20],
  );
  assert.deepEqual(
    webgpu.checkpoints.map((c) => c.name),
    ['ckpt-000010', 'ckpt-000020'],
  );
  assert.equal(webgpu.logLines.length, STEPS);
  assert.ok(webgpu.batches < webgpu.eventTypes.length / 3, `events come in batches (${webgpu.batches} for ${webgpu.eventTypes.length})`);
  // No tensor leaks on WebGPU: tf.memory() is the same after every step.
  const { numTensors, numBytes } = webgpu.result.memory;
  assert.equal(numTensors.length, STEPS);
  assert.equal(new Set(numTensors).size, 1, `numTensors per step: ${numTensors}`);
  assert.equal(new Set(numBytes).size, 1, `numBytes per step: ${numBytes}`);
  // The page kept ticking while the worker trained.
  assert.ok(webgpu.maxMainThreadGapMs < 2500, `longest main-thread stall ${webgpu.maxMainThreadGapMs} ms`);
});

test('a browser checkpoint resumes on the node executor, and a node checkpoint in the browser', async (t) => {
  assert.ok(webgpu && nodeReference, 'needs the parity run');
  const at = 10;
  const tail = (losses: Map<number, number>) => new Map([...losses].filter(([step]) => step > at));

  // Browser -> node: the page's ckpt-000010, saved as the server saves checkpoints, then --resume.
  const fromBrowser = webgpu.checkpoints.find((c) => c.step === at)!;
  assert.equal((fromBrowser.meta as { executor: string }).executor, 'browser');
  const dir = join(tmp, 'from-browser');
  await directoryCheckpointStore(dir).save(fromBrowser.name, Buffer.from(fromBrowser.weightsBase64, 'base64'), fromBrowser.meta);
  const resumedOnNode = await nodeRun(join(tmp, 'node-resumed'), join(dir, fromBrowser.name));
  const startedOnNode = resumedOnNode.events.find((e) => e.type === 'run/started')!;
  assert.deepEqual([startedOnNode.step, (startedOnNode.data as { resumedFrom?: string }).resumedFrom], [at, 'ckpt-000010']);
  const browserToNode = assertClose(resumedOnNode.losses, tail(lossesOf(webgpu)), 1e-3, 'node resumed from the browser checkpoint vs the browser run');

  // Node -> browser: the node run's ckpt-000010 from its checkpoints folder, uploaded to the page.
  const fromNode = await readCheckpointFile(join(tmp, 'node', 'checkpoints', 'ckpt-000010'));
  const resumedInBrowser = await browserRun({
    steps: STEPS,
    backend: 'webgpu',
    resume: { name: fromNode.name, weightsBase64: b64(fromNode.weights), meta: fromNode.meta },
  });
  assert.equal(resumedInBrowser.result.status, 'completed');
  assert.equal(resumedInBrowser.backend?.name, 'webgpu');
  const nodeToBrowser = assertClose(lossesOf(resumedInBrowser), tail(nodeReference.losses), 1e-3, 'browser resumed from the node checkpoint vs the node run');
  t.diagnostic(
    `resumed at step ${at}: browser->node largest relative difference ${browserToNode.toExponential(2)}, node->browser ${nodeToBrowser.toExponential(2)}`,
  );
});

test('auto skips software GPUs for WASM and says why; WebGL when asked; wasm threads; a model too big for the GPU is refused up front', async () => {
  // The first three steps' losses do not depend on the run's length (warmup covers their updates).
  const first3 = new Map([...nodeReference.losses].filter(([step]) => step <= 3));

  // auto in this Chromium: WebGPU and WebGL both run on SwiftShader (the CPU), slower than WASM.
  const auto = await browserRun({ steps: 3 });
  assert.equal(auto.result.status, 'completed', JSON.stringify(auto.result));
  assert.equal(auto.backend?.name, 'wasm');
  assert.deepEqual(
    auto.backend?.fallbacks.map((f) => f.backend),
    ['webgpu', 'webgl'],
  );
  assert.match(
    auto.backend!.fallbacks[0].reason,
    /^software WebGPU \(.*swiftshader.*\): the CPU emulates the GPU, slower than WASM; choose WebGPU to use it anyway$/i,
  );
  assert.match(auto.backend!.fallbacks[1].reason, /^software WebGL \(.*SwiftShader.*\)/);

  // The same Chromium without --enable-unsafe-webgpu: navigator.gpu exists, but no adapter.
  const plain = await launchBrowser({ webgpu: false });
  try {
    const webgl = await browserRun({ steps: 3, backend: 'webgl' }, plain);
    assert.equal(webgl.result.status, 'completed', JSON.stringify(webgl.result));
    assert.equal(webgl.backend?.name, 'webgl');
    assert.deepEqual(webgl.backend?.fallbacks, []);
    assert.match(webgl.backend!.detail, /float32/);
    assertClose(lossesOf(webgl), first3, 1e-3, 'webgl vs node');
  } finally {
    await plain.close();
  }

  // wasm: one thread for a model this small (wasmThreadsFor), every core when asked (this
  // Chromium reports 2 here): the same numbers.
  const wasm = await browserRun({ steps: 3, backend: 'wasm' });
  assert.equal(wasm.backend?.name, 'wasm');
  assert.equal(wasm.backend!.detail, 'SIMD, 1 thread');
  assertClose(lossesOf(wasm), first3, 1e-4, 'wasm in the browser vs wasm in node');
  const threaded = await browserRun({ steps: 3, backend: 'wasm', wasmThreads: 8 });
  assert.match(threaded.backend!.detail, /^SIMD, [2-8] threads$/);
  assertClose(lossesOf(threaded), first3, 1e-4, 'multi-threaded wasm in the browser vs wasm in node');

  // Logits of 4096 x 16 x 8192 floats = 2 GiB: over SwiftShader's 1 GiB binding limit.
  const big = structuredClone(SMOKE);
  for (const n of big.nodes) {
    if (n.id === 'get_batch') n.params.batch_size = 4096;
    if (n.id === 'model') n.params.vocab_size = 8192;
  }
  const refused = await browserRun({ pipeline: big, steps: 1, backend: 'webgpu' });
  assert.equal(refused.result.status, 'failed');
  assert.equal(refused.result.error?.nodeId, 'get_batch');
  assert.match(
    refused.result.error!.message,
    /^model: logits \[B, T, V\] \[4096,16,8192\] in float32 is 2 GiB, over this GPU's maxStorageBufferBindingSize of 1 GiB; lower get_batch\.batch_size to 2048 or less/,
  );
  assert.deepEqual(refused.eventTypes, ['error', 'run/finished']);
});
