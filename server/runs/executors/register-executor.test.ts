// An executor added through the registry's public seam (registerExecutor), not the shipped list:
// a real server lists its report on GET /api/executors, POST /api/runs takes its name, backend
// and settings field (and refuses them for the other executors, and a bad value of its own),
// its accept() can refuse, and its start() trains the run to the end.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { z } from 'zod';
import { EXECUTOR_NAMES } from '../../../engine/executors';
import { createStudioServer, type StudioServer } from '../../app';
import { api, finalStatus, smokePipeline, tempDir } from '../../test-support';
import { registerExecutor, type ServerExecutor } from './index';

/** A scratch executor that "trains" by ending its run at once, having counted its shards. */
const scratch: ServerExecutor = {
  name: 'scratch', label: 'Scratch (test)', trainsIn: 'server', statusBackend: 'asked',
  request: { backend: z.enum(['slow', 'fast']), settings: z.object({ shards: z.number().int().min(1).max(8) }).strict(), resume: false },
  async accept(plan, ask) {
    const shards = (ask.settings as { shards?: number } | undefined)?.shards ?? 1;
    if (ask.backend === 'slow' && shards > 4) {
      return { error: 'too many shards for slow', errors: [{ field: 'scratch.shards', message: `slow takes at most 4 shards, got ${shards}` }] };
    }
    return { backend: ask.backend ?? 'fast' };
  },
  async start(record, _server, channel) {
    return {
      pause() {}, resume() {}, stop() {}, async terminate() {},
      launch: () => void setImmediate(() => channel.message({ type: 'run/ended', status: 'completed', step: record.status.totalSteps })),
    };
  },
  async report() {
    return { available: true, backends: ['slow', 'fast'] };
  },
};

let server: StudioServer;
let dirs: Awaited<ReturnType<typeof tempDir>>[] = [];

before(async () => {
  dirs = [await tempDir('studio-runs-'), await tempDir('studio-data-')];
  server = await createStudioServer({ port: 0, runsDir: dirs[0].path, dataDir: dirs[1].path, next: false });
});

after(async () => {
  await server.close();
  for (const d of dirs) await d.remove();
});

/** POST /api/runs of the smoke pipeline with `body`; the reply's status and its errors as `field: message`. */
async function submit(body: Record<string, unknown>) {
  const reply = await api(server.url, '/api/runs', { json: { pipeline: smokePipeline(), steps: 2, ...body } });
  return { ...reply, problems: (reply.json.errors ?? []).map((e: { field?: string; message: string }) => `${e.field}: ${e.message}`) };
}

test('unregistered, the scratch executor is neither listed nor taken', async () => {
  assert.equal((await api(server.url, '/api/executors')).json.scratch, undefined);
  const refused = await submit({ executor: 'scratch' });
  assert.equal(refused.status, 400);
  assert.match(refused.problems.join('\n'), /^executor: /);
});

test('registered, it is listed, its fields are taken and checked, and its runs train to the end', async () => {
  registerExecutor(scratch);
  assert.deepEqual((await api(server.url, '/api/executors')).json.scratch, { available: true, backends: ['slow', 'fast'] });
  assert.equal((await api(server.url, '/api/executors')).json.node.available, true, 'the shipped ones stay');

  const accepted = await submit({ executor: 'scratch', backend: 'slow', scratch: { shards: 2 } });
  assert.equal(accepted.status, 201, accepted.text);
  const status = await finalStatus(server.url, accepted.json.id);
  assert.deepEqual([status.executor, status.backend, status.state], ['scratch', 'slow', 'completed']);

  assert.deepEqual((await submit({ executor: 'scratch', scratch: { shards: 99 } })).problems, ['scratch.shards: Too big: expected number to be <=8']);
  assert.deepEqual((await submit({ executor: 'node', scratch: { shards: 2 } })).problems, ['scratch: is for executor "scratch"']);
  assert.deepEqual((await submit({ executor: 'scratch', backend: 'wasm' })).problems, ['backend: must be one of slow, fast for executor "scratch"']);
  assert.deepEqual((await submit({ executor: 'scratch', resume: { upload: 'x' } })).problems, ['resume: is for executors "node", "torch" and "browser"']);
  const refusedByAccept = await submit({ executor: 'scratch', backend: 'slow', scratch: { shards: 6 } });
  assert.equal(refusedByAccept.status, 400);
  assert.deepEqual(refusedByAccept.problems, ['scratch.shards: slow takes at most 4 shards, got 6']);
});

test('the shipped list, which the studio reads, is unchanged', () => {
  assert.deepEqual(EXECUTOR_NAMES, ['node', 'torch', 'browser']);
});
