// The torch executor's side of the experiment loop on real PyTorch runs (Debian's python3-torch,
// CPU): a fork that restarts its schedule, and a prompt answered between two steps of a live run.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createStudioServer, type StudioServer } from './app';
import { api, smokePipeline, tempDir, waitFor } from './test-support';

let server: StudioServer;
let runs: Awaited<ReturnType<typeof tempDir>>;
let data: Awaited<ReturnType<typeof tempDir>>;

before(async () => {
  runs = await tempDir('studio-torch-fork-runs-');
  data = await tempDir('studio-torch-fork-data-');
  server = await createStudioServer({ port: 0, runsDir: runs.path, dataDir: data.path, next: false });
});

after(async () => {
  await server.close();
  await runs.remove();
  await data.remove();
});

const torch = { executor: 'torch', torch: { device: 'cpu' } };

/** The run's final status (PyTorch's start takes seconds on a busy machine). */
function finalStatus(base: string, id: string): Promise<any> {
  return waitFor(
    `run ${id} to end`,
    async () => {
      const status = (await api(base, `/api/runs/${id}`)).json;
      return !['queued', 'running', 'paused'].includes(status?.state) && status;
    },
    180_000,
  );
}

async function trainLog(id: string): Promise<{ step: number; loss: number; lr: number }[]> {
  const text = await readFile(join(runs.path, id, 'train_log.jsonl'), 'utf8');
  return text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((l) => typeof l.loss === 'number');
}

test("a torch fork with restartSchedule starts its schedule at 0 and trains on from the parent's weights", async () => {
  const base = server.url;
  const parent = (await api(base, '/api/runs', { json: { pipeline: smokePipeline(), ...torch } })).json.id;
  assert.equal((await finalStatus(base, parent)).state, 'completed');
  const fork = await api(base, '/api/runs', {
    json: { pipeline: smokePipeline(), ...torch, resume: { run: parent, checkpoint: 'ckpt-000010', restartSchedule: true } },
  });
  assert.equal(fork.status, 201, fork.text);
  const final = await finalStatus(base, fork.json.id);
  assert.equal(final.state, 'completed', JSON.stringify(final.error));
  assert.equal(final.step, 20, "the fork trains the pipeline's 20 steps from 0");
  assert.deepEqual(final.parent, { run: parent, checkpoint: 'ckpt-000010', step: 10, optimizerState: 'kept' });

  const [before, forked] = [await trainLog(parent), await trainLog(fork.json.id)];
  assert.deepEqual(
    forked.map((l) => l.step),
    Array.from({ length: 20 }, (_, i) => i + 1),
  );
  // A fresh schedule: the fork's lr at each step is the parent's at the same step (warmup included).
  assert.deepEqual(
    forked.map((l) => l.lr),
    before.map((l) => l.lr),
  );
  assert.ok(forked[0].lr < before[10].lr, `warmup again: ${forked[0].lr} at step 1, the parent had ${before[10].lr} at step 11`);
  // The loss of a step is taken before its update: the fork's first equals the parent's 11th
  // (same weights, same batch stream), which a fork from fresh weights could not match.
  assert.equal(forked[0].loss, before[10].loss);
  const checkpoints = await readdir(join(runs.path, fork.json.id, 'checkpoints'));
  assert.ok(checkpoints.includes('ckpt-000020.safetensors'), checkpoints.join(', '));
});

test('a prompt to a live torch run answers text and its step, and leaves its losses as a run never asked', async () => {
  const base = server.url;
  // A constant schedule: the two runs are stopped at different steps, so the lr must not depend on the length.
  const pipeline = smokePipeline((doc) => {
    doc.nodes.find((n: any) => n.id === 'scheduler').params = { kind: 'constant', lr: 0.003 };
  });
  const asked = (await api(base, '/api/runs', { json: { pipeline, ...torch, steps: 100_000 } })).json.id;
  await waitFor('step 5', async () => (await api(base, `/api/runs/${asked}`)).json.step >= 5, 120_000);
  const reply = await api(base, `/api/runs/${asked}/sample`, { json: { prompt: 'The ', max_new_tokens: 12, temperature: 0.8, top_k: 20 } });
  assert.equal(reply.status, 200, reply.text);
  assert.ok(reply.json.text.startsWith('The ') && reply.json.text.length > 4, reply.json.text);
  assert.ok(Number.isInteger(reply.json.step) && reply.json.step >= 5, `step ${reply.json.step}`);
  const outside = await api(base, `/api/runs/${asked}/sample`, { json: { prompt: '\u00e9', max_new_tokens: 4 } });
  assert.equal(outside.status, 200, 'bytes of é are within a byte vocabulary');
  await waitFor('a few steps after the prompt', async () => (await api(base, `/api/runs/${asked}`)).json.step >= reply.json.step + 5, 120_000);
  await api(base, `/api/runs/${asked}/stop`, { method: 'POST' });
  const stopped = await finalStatus(base, asked);
  assert.equal(stopped.state, 'stopped');
  const late = await api(base, `/api/runs/${asked}/sample`, { json: { prompt: 'The ', max_new_tokens: 4 } });
  assert.equal(late.status, 409, 'a stopped run takes no prompt');

  const quiet = (await api(base, '/api/runs', { json: { pipeline, ...torch, steps: stopped.step } })).json.id;
  assert.equal((await finalStatus(base, quiet)).state, 'completed');
  const [withPrompt, without] = [await trainLog(asked), await trainLog(quiet)];
  assert.ok(withPrompt.length >= reply.json.step + 5);
  assert.deepEqual(
    withPrompt.map((l) => l.loss),
    without.map((l) => l.loss),
    'the prompt changed no loss',
  );
});
