// Malformed live edits and prompts never crash the server or damage the run: 400 generated edit
// bodies and 200 prompt bodies go to a paused node run, then 100 listings of the answers kept. Every
// reply is a 200 or an addressed 4xx, never a 5xx; the run resumes and completes. Seeds are fixed, so a failure reproduces.
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { anyValue } from '../engine/testing/pipeline-mutations';
import { createStudioServer, type StudioServer } from './app';
import { api, finalStatus, smokePipeline, tempDir, waitFor } from './test-support';

let server: StudioServer;
let base: string;
let run: string;
/** Prompts the run answered (kept in its prompts.jsonl). */
let answered = 0;
const dirs: Awaited<ReturnType<typeof tempDir>>[] = [];

before(async () => {
  const runs = await tempDir('studio-runs-');
  const data = await tempDir('studio-data-');
  dirs.push(runs, data);
  server = await createStudioServer({ port: 0, runsDir: runs.path, dataDir: data.path, next: false });
  base = server.url;
  run = (await api(base, '/api/runs', { json: { pipeline: smokePipeline(), steps: 200 } })).json.id;
  await waitFor('the run to train', async () => (await api(base, `/api/runs/${run}`)).json.state === 'running', 60_000);
  assert.equal((await api(base, `/api/runs/${run}/pause`, { method: 'POST' })).status, 200);
});

after(async () => {
  await server.close();
  for (const d of dirs) await d.remove();
});

const nodeIds = ['scheduler', 'optimizer', 'clip', 'model', 'training', 'log', 'eval', 'sample', 'checkpoint', 'backward', 'nope', '', '__proto__'];
const fields = ['lr', 'kind', 'min_lr', 'max_norm', 'every', 'steps', 'd_model', 'weight_decay', 'momentum', 'top_k', 'on_nonfinite', 'constructor', ''];
const editBody = fc.oneof(
  fc.record({ nodeId: fc.constant('scheduler'), params: fc.record({ lr: fc.double({ min: 1e-5, max: 0.05, noNaN: true }) }) }),
  fc.record({ nodeId: fc.constant('clip'), params: fc.record({ max_norm: fc.double({ min: -1, max: 5, noNaN: true }) }) }),
  fc.record({
    nodeId: fc.constant('model'),
    params: fc.record({ d_model: fc.integer({ min: 1, max: 128 }), n_layers: fc.integer({ min: 1, max: 4 }) }, { requiredKeys: [] }),
  }),
  fc.record({ nodeId: fc.constantFrom(...nodeIds), params: fc.dictionary(fc.constantFrom(...fields), fc.oneof(anyValue, fc.double(), fc.integer())) }),
  fc.record(
    { nodeId: fc.constantFrom(...nodeIds), params: fc.dictionary(fc.constantFrom(...fields), fc.double({ min: -10, max: 10 })), extra: anyValue },
    { requiredKeys: ['nodeId', 'params'] },
  ),
  anyValue,
);

test('400 generated edits: 200, 400 or 409 with the node named, never a 5xx', async () => {
  const statuses = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(editBody, async (body) => {
      const reply = await api(base, `/api/runs/${run}/edit`, { json: body });
      statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
      assert.ok([200, 400, 409].includes(reply.status), `${reply.status} for ${JSON.stringify(body)}: ${reply.text}`);
      if (reply.status === 200) assert.ok(Number.isInteger(reply.json.appliedAtStep));
      else assert.equal(typeof reply.json.error, 'string');
    }),
    { numRuns: 400, seed: 4242 },
  );
  assert.ok((statuses.get(200) ?? 0) > 20 && (statuses.get(400) ?? 0) > 50 && (statuses.get(409) ?? 0) > 10, JSON.stringify([...statuses]));
});

test('200 generated prompts: 200, 400 or 404, never a 5xx; then the run completes', async () => {
  const sampleBody = fc.record(
    {
      prompt: fc.oneof(fc.string({ maxLength: 40 }), fc.string({ minLength: 1990, maxLength: 2100 }), anyValue),
      max_new_tokens: fc.oneof(fc.integer({ min: -2, max: 6 }), fc.constant(5000), anyValue),
      temperature: fc.oneof(fc.double({ min: -1, max: 11 }), anyValue),
      top_k: fc.oneof(fc.integer({ min: -1, max: 300 }), anyValue),
      checkpoint: fc.constantFrom('ckpt-000010', '../x', 'ckpt-999999', '.hidden'),
    },
    { requiredKeys: [] },
  );
  await fc.assert(
    fc.asyncProperty(sampleBody, async (body) => {
      const reply = await api(base, `/api/runs/${run}/sample`, { json: body });
      assert.ok([200, 400, 404, 409].includes(reply.status), `${reply.status} for ${JSON.stringify(body).slice(0, 300)}: ${reply.text.slice(0, 300)}`);
      if (reply.status === 200) assert.equal(typeof reply.json.text, 'string');
      if (reply.status === 200) answered++;
    }),
    { numRuns: 200, seed: 99 },
  );
  assert.equal((await api(base, `/api/runs/${run}/diff`)).status, 404);
  const step = (await api(base, `/api/runs/${run}`)).json.step;
  assert.equal((await api(base, `/api/runs/${run}/edit`, { json: { nodeId: 'training', params: { steps: step + 5 } } })).status, 200);
  assert.equal((await api(base, `/api/runs/${run}/resume`, { method: 'POST' })).status, 200);
  const final = await finalStatus(base, run);
  assert.equal(final.state, 'completed', JSON.stringify(final.error));
});

test('100 generated prompt listings: 200 with answers, 400 for a bad limit or 404 for a run that is not there', async () => {
  const checkpoint = (await api(base, `/api/runs/${run}/checkpoints`)).json.checkpoints.at(-1).name;
  const asked = await api(base, `/api/runs/${run}/sample`, { json: { prompt: 'The ', max_new_tokens: 4, checkpoint } });
  assert.equal(asked.status, 200, asked.text);
  answered++;
  const query = fc.oneof(
    fc.constant(''),
    fc.string({ maxLength: 12 }).map((v) => `?limit=${encodeURIComponent(v)}`),
    fc.integer({ min: -5, max: 1200 }).map((n) => `?limit=${n}`),
    fc.constant('?limit=1e3&limit=2'),
  );
  const runId = fc.oneof(
    fc.constant(() => run),
    fc.constantFrom('zzzzzzzzzzzzz', '..', '%2e%2e', 'a'.repeat(100)).map((id) => () => id),
  );
  await fc.assert(
    fc.asyncProperty(runId, query, async (id, q) => {
      const reply = await api(base, `/api/runs/${id()}/prompts${q}`);
      assert.ok([200, 400, 404].includes(reply.status), `${reply.status} for ${id()}${q}: ${reply.text.slice(0, 300)}`);
      if (reply.status === 200) assert.ok(Array.isArray(reply.json.prompts) && reply.json.prompts.every((p: any) => typeof p.text === 'string'));
      else assert.equal(typeof reply.json.error, 'string');
    }),
    { numRuns: 100, seed: 7 },
  );
  const kept = (await api(base, `/api/runs/${run}/prompts?limit=1000`)).json.prompts;
  assert.equal(kept.length, answered, 'every answered prompt is listed');
  for (const p of kept) assert.ok(typeof p.prompt === 'string' && p.text.startsWith(p.prompt), JSON.stringify(p).slice(0, 300));
});
