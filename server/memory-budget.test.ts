// Memory on the server: runs whose estimate is above MAX_RUN_MEMORY are refused with the estimate
// and the fields to shrink, and `stop` ends a run whose step never finishes once the grace period
// is over (a real worker, blocked after a step by its test hook), leaving it resumable.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { request, type ClientRequest } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { createStudioServer, type StudioServer } from './app';
import { META_LENGTH_HEADER } from './checkpoint-upload';
import { compile } from '../engine/compiler/compile';
import { estimateMemory } from '../engine/memory/estimate';
import { checkRunMemory, parseMemorySize, runMemoryBudget, WASM_HEAP_LIMIT } from './runs/memory-budget';
import { registry } from '../engine/nodes';
import { api, finalStatus, smokePipeline, tempDir, waitFor } from './test-support';

const BUDGET = 2e9;
const GRACE_MS = 1500;
const HANG_AFTER = 11; // the smoke pipeline checkpoints every 10 steps: ckpt-000010 exists by then

let server: StudioServer;
let base: string;
let runsDir: string;
let dirs: Awaited<ReturnType<typeof tempDir>>[] = [];

before(async () => {
  const runs = await tempDir('studio-memory-runs-');
  const data = await tempDir('studio-memory-data-');
  dirs = [runs, data];
  runsDir = runs.path;
  server = await createStudioServer({
    port: 0,
    runsDir: runs.path,
    dataDir: data.path,
    next: false,
    maxRunMemory: BUDGET,
    stopGraceMs: GRACE_MS,
    maxConcurrentUploads: 2,
    workerEnv: { ...process.env, PRETRAIN_TEST_HANG_AFTER_STEP: String(HANG_AFTER) },
  });
  base = server.url;
});

after(async () => {
  await server.close();
  for (const d of dirs) await d.remove();
});

test('MAX_RUN_MEMORY: sizes with units, half the RAM by default, a clear error on nonsense', () => {
  assert.equal(parseMemorySize('8GiB'), 8 * 1024 ** 3);
  assert.equal(parseMemorySize('512 MB'), 512e6);
  assert.equal(parseMemorySize('1048576'), 1048576);
  assert.equal(runMemoryBudget({}, 16e9), 8e9);
  assert.equal(runMemoryBudget({ MAX_RUN_MEMORY: '3g' }, 16e9), 3e9);
  for (const bad of ['', 'lots', '-1GB', '0', '8 parsecs', '1e3']) assert.throws(() => parseMemorySize(bad), /MAX_RUN_MEMORY must be a size/);
});

test('on wasm the tensors must also fit the 4 GiB wasm can address, whatever the budget', () => {
  // d_model 4096 x 8 layers with a 65536 vocabulary: ~1.2e9 parameters; weights, gradient, m and v ~ 19 GB
  const compiled = compile(
    smokePipeline((doc) => {
      Object.assign(doc.nodes.find((n: any) => n.id === 'model').params, { vocab_size: 65536, d_model: 4096, n_layers: 8, n_heads: 32, d_ff: 4096 });
    }),
  );
  assert.ok(compiled.ok);
  const onWasm = checkRunMemory(compiled.plan, 'node', 'wasm', 1e15)!;
  assert.match(onWasm.error, /wasm backend can address/);
  assert.equal((onWasm.details!.memory as { budget: number }).budget, WASM_HEAP_LIMIT);
  assert.equal(onWasm.errors[0].nodeId, 'model');
  assert.match(onWasm.errors[0].message, /over the 4\.29 GB the wasm backend can address \(try backend cpu or tensorflow\)/);
  assert.equal(checkRunMemory(compiled.plan, 'node', 'cpu', 1e15), undefined);
  assert.equal(checkRunMemory(smokePlan(), 'node', 'wasm', 1e9), undefined);
});

test('fuzzed shapes: refused exactly when the estimate is over the budget, every error naming a param the node has', () => {
  const shapes = fc
    .record({
      batch: fc.integer({ min: 1, max: 4096 }),
      context: fc.integer({ min: 1, max: 65536 }),
      heads: fc.integer({ min: 1, max: 64 }),
      headSize: fc.integer({ min: 1, max: 64 }).map((h) => 2 * h),
      layers: fc.integer({ min: 1, max: 256 }),
      vocab: fc.integer({ min: 2, max: 1_000_000 }),
      ff: fc.integer({ min: 1, max: 65536 }),
      budget: fc.integer({ min: 1, max: 2 ** 50 }),
      backend: fc.constantFrom('wasm', 'cpu'),
    })
    .filter((s) => s.heads * s.headSize <= 16384);
  fc.assert(
    fc.property(shapes, (s) => {
      const compiled = compile(
        smokePipeline((doc) => {
          doc.nodes.find((n: any) => n.id === 'get_batch').params = { batch_size: s.batch, context_length: s.context };
          Object.assign(doc.nodes.find((n: any) => n.id === 'model').params, {
            vocab_size: s.vocab,
            context_length: s.context,
            d_model: s.heads * s.headSize,
            n_heads: s.heads,
            n_layers: s.layers,
            d_ff: s.ff,
          });
        }),
      );
      assert.ok(compiled.ok, JSON.stringify(!compiled.ok && compiled.diagnostics));
      const refusal = checkRunMemory(compiled.plan, 'node', s.backend, s.budget);
      const { total, runtime } = estimateMemory(compiled.plan, 'node')!.bytes;
      assert.equal(refusal !== undefined, total > s.budget || (s.backend === 'wasm' && total - runtime > WASM_HEAP_LIMIT));
      if (!refusal) return;
      assert.ok(refusal.errors.length > 0);
      for (const e of refusal.errors) {
        const node = compiled.plan.nodes.find((n) => n.id === e.nodeId);
        // A composite block (the model) also answers to its inner fields and their flat aliases (d_model, ...).
        const has = (field: string) => registry.get(node!.kind)?.composite?.has(node!.params as never, field) ?? field in node!.params;
        assert.ok(node && has(e.field!), `${e.nodeId}.${e.field}`);
      }
    }),
    { numRuns: 300 },
  );
});

function smokePlan() {
  const compiled = compile(smokePipeline());
  assert.ok(compiled.ok);
  return compiled.plan;
}

test('batch 4096 x context 65536 is refused with the estimate, on get_batch, naming the fields', async () => {
  const pipeline = smokePipeline((doc) => {
    doc.nodes.find((n: any) => n.id === 'get_batch').params = { batch_size: 4096, context_length: 65536 };
    doc.nodes.find((n: any) => n.id === 'model').params.context_length = 65536;
  });
  const r = await api(base, '/api/runs', { json: { pipeline } });
  assert.equal(r.status, 400);
  assert.match(r.json.error, /more memory than this server's budget/);
  assert.equal(r.json.memory.budget, BUDGET);
  assert.equal(r.json.memory.limit, 'MAX_RUN_MEMORY');
  assert.ok(r.json.memory.estimate.bytes.total > 1e14, `estimate ${r.json.memory.estimate.bytes.total}`);
  const onBatch = r.json.errors.find((e: any) => e.nodeId === 'get_batch');
  assert.equal(onBatch.code, 'memory');
  assert.equal(onBatch.field, 'context_length');
  assert.match(onBatch.message, /estimated [\d.]+ TB, over this server's budget of 2\.00 GB per run \(MAX_RUN_MEMORY\).*shrink context_length, batch_size/);
  assert.deepEqual((await api(base, '/api/runs')).json.runs, []);
});

test('vocab 1e5 x d_model 16384 on the cpu backend is refused on the model node', async () => {
  const pipeline = smokePipeline((doc) => {
    Object.assign(doc.nodes.find((n: any) => n.id === 'model').params, { vocab_size: 100_000, d_model: 16384, n_heads: 128 });
  });
  const r = await api(base, '/api/runs', { json: { pipeline, backend: 'cpu' } });
  assert.equal(r.status, 400);
  const onModel = r.json.errors.find((e: any) => e.nodeId === 'model');
  assert.equal(onModel.field, 'd_model');
  assert.match(onModel.message, /weights, gradients and optimizer state take [\d.]+ GB here: shrink d_model, vocab_size, n_layers, d_ff/);
  // 1.64e9 parameters: weights, their gradient and AdamW's m and v alone are 26 GB
  assert.ok(r.json.memory.estimate.parameters > 1.6e9);
  assert.ok(r.json.memory.estimate.bytes.total > 26e9);
  assert.deepEqual((await api(base, '/api/runs')).json.runs, []);
});

test('a run that fits is accepted, and the budget is published with the executors', async () => {
  const executors = await api(base, '/api/executors');
  assert.equal(executors.json.memory.budget, BUDGET);
  const r = await api(base, '/api/runs', { json: { pipeline: smokePipeline(), steps: 5 } });
  assert.equal(r.status, 201, r.text);
  // The first run also prepares the bundled corpus in the fresh data folder: give it time.
  const done = await waitFor(
    'the run to complete',
    async () => {
      const status = (await api(base, `/api/runs/${r.json.id}`)).json;
      return !['queued', 'running'].includes(status.state) && status;
    },
    180_000,
  );
  assert.equal(done.state, 'completed');
});

test('stop ends a run whose step never finishes within the grace period; it resumes from its last checkpoint', async () => {
  const r = await api(base, '/api/runs', { json: { pipeline: smokePipeline(), steps: 50 } });
  assert.equal(r.status, 201, r.text);
  const { id } = r.json;
  await waitFor(`run ${id} to reach step ${HANG_AFTER}`, async () => (await api(base, `/api/runs/${id}`)).json.step >= HANG_AFTER, 60_000);
  const asked = Date.now();
  assert.equal((await api(base, `/api/runs/${id}/stop`, { method: 'POST' })).status, 200);
  const status = await finalStatus(base, id);
  const took = Date.now() - asked;
  assert.equal(status.state, 'stopped');
  assert.equal(status.step, HANG_AFTER);
  // The step never ends: only the grace period can have stopped it, and promptly after it.
  assert.ok(took >= GRACE_MS - 50 && took < GRACE_MS + 3000, `stopped after ${took} ms (grace ${GRACE_MS} ms)`);
  const events = (await readFile(join(runsDir, id, 'events.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const last = events.at(-1);
  assert.equal(last.type, 'run/finished');
  assert.equal(last.data.status, 'stopped');
  assert.deepEqual(
    events.map((e) => e.seq),
    events.map((_, i) => i + 1),
  );
  const resumed = await api(base, `/api/runs/${id}/resume`, { method: 'POST' });
  assert.equal(resumed.status, 200);
  assert.equal(resumed.json.resumeFrom, 'ckpt-000010');
  // It hangs again after step 11 (the hook is the server's); stop it the same way.
  await waitFor(`run ${id} to run again`, async () => (await api(base, `/api/runs/${id}`)).json.state === 'running', 60_000);
  await api(base, `/api/runs/${id}/stop`, { method: 'POST' });
  assert.equal((await finalStatus(base, id)).state, 'stopped');
});

/** An upload that sends its headers and a first chunk, then waits (a slow client holding its slot). */
function slowUpload(path: string): Promise<ClientRequest> {
  const url = new URL(path, base);
  const req = request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream', [META_LENGTH_HEADER]: '10', 'content-length': String(100_000) },
  });
  req.on('error', () => {}); // aborted by the test
  req.write(Buffer.alloc(1000));
  return new Promise((resolve) => setTimeout(() => resolve(req), 200)); // the server has taken its slot by then
}

const upload = (path: string) =>
  fetch(base + path, {
    method: 'POST',
    body: new Uint8Array(20),
    headers: { 'content-type': 'application/octet-stream', [META_LENGTH_HEADER]: '10' },
  });

test('checkpoint uploads beyond MAX_CONCURRENT_UPLOADS get 503 with Retry-After, on both upload routes, until a slot frees', async () => {
  const browserRun = await api(base, '/api/runs', { json: { pipeline: smokePipeline(), executor: 'browser' } });
  assert.equal(browserRun.status, 201, browserRun.text);
  const held = [await slowUpload('/api/checkpoints'), await slowUpload('/api/checkpoints')];
  for (const path of ['/api/checkpoints', `/api/runs/${browserRun.json.id}/checkpoints`]) {
    const refused = await upload(path);
    assert.equal(refused.status, 503, path);
    assert.equal(refused.headers.get('retry-after'), '5');
    assert.match(((await refused.json()) as { error: string }).error, /reading 2 checkpoint uploads already \(MAX_CONCURRENT_UPLOADS\)/);
  }
  held[0].destroy(); // a client that gives up frees its slot
  const next = await waitFor(
    'a free upload slot',
    async () => {
      const r = await upload('/api/checkpoints');
      return r.status !== 503 && r;
    },
    5000,
  );
  assert.equal(next.status, 400); // read and checked: 20 bytes are no checkpoint
  held[1].destroy();
  await api(base, `/api/runs/${browserRun.json.id}/stop`, { method: 'POST' });
});
