// The experiment loop through the API: a live edit of a node run changes the logged lr at the
// reported step (400/409 for what cannot change), text sampled mid-run leaves the losses as they
// were, a fork from a mid-run checkpoint continues at step + 1 from the parent's weights, a fork
// that changes shapes is refused on the model's fields, and its diff names what changed.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createStudioServer, type StudioServer } from './app';
import { api, finalStatus, smokePipeline, tempDir, waitFor, Watcher } from './test-support';

let server: StudioServer;
let base: string;
let runsDir: string;
const dirs: Awaited<ReturnType<typeof tempDir>>[] = [];

before(async () => {
  const runs = await tempDir('studio-runs-');
  const data = await tempDir('studio-data-');
  dirs.push(runs, data);
  runsDir = runs.path;
  server = await createStudioServer({ port: 0, runsDir: runs.path, dataDir: data.path, next: false });
  base = server.url;
});

after(async () => {
  await server.close();
  for (const d of dirs) await d.remove();
});

async function logLines(id: string): Promise<any[]> {
  return (await readFile(join(runsDir, id, 'train_log.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}
const lossesOf = (lines: any[]) => lines.filter((l) => typeof l.loss === 'number').map((l) => [l.step, l.loss]);

/** Submits and pauses the run once `step` steps are done (returns the step it paused at). */
async function startPaused(pipeline: unknown, step: number, steps = 60): Promise<{ id: string; watcher: Watcher; pausedAt: number }> {
  const { id } = (await api(base, '/api/runs', { json: { pipeline, steps } })).json;
  const watcher = new Watcher(base, id);
  await watcher.subscribe();
  await waitFor(`step ${step}`, () => watcher.events.some((e) => e.type === 'step' && e.step! >= step), 60_000);
  assert.equal((await api(base, `/api/runs/${id}/pause`, { method: 'POST' })).status, 200);
  const status = await waitFor('the pause', async () => {
    const s = (await api(base, `/api/runs/${id}`)).json;
    return s.state === 'paused' && s;
  });
  return { id, watcher, pausedAt: status.step };
}

test('a live edit changes the logged lr at the reported step; bad edits are refused', async () => {
  const { id, watcher } = await startPaused(smokePipeline(), 3);
  const edit = await api(base, `/api/runs/${id}/edit`, { json: { nodeId: 'scheduler', params: { kind: 'constant', lr: 0.002 } } });
  assert.equal(edit.status, 200, edit.text);
  const at = edit.json.appliedAtStep;
  assert.ok(Number.isInteger(at) && at >= 3);

  const refused = async (body: unknown, status: number) => {
    const reply = await api(base, `/api/runs/${id}/edit`, { json: body });
    assert.equal(reply.status, status, `${JSON.stringify(body)}: ${reply.text}`);
    return reply.json;
  };
  const negative = await refused({ nodeId: 'scheduler', params: { lr: -1 } }, 400);
  assert.deepEqual([negative.errors[0].nodeId, negative.errors[0].field], ['scheduler', 'lr']);
  assert.equal((await refused({ nodeId: 'nope', params: { lr: 1 } }, 400)).errors[0].nodeId, 'nope');
  assert.equal((await refused({ nodeId: 'clip', params: { max_nrm: 1 } }, 400)).errors[0].field, 'max_nrm');
  const locked = await refused({ nodeId: 'model', params: { d_model: 64 } }, 409);
  assert.match(locked.error, /fork/);
  await refused({ nodeId: 'optimizer', params: { kind: 'sgd' } }, 409);
  await refused({ nodeId: 'training', params: { steps: 2 } }, 400);
  await refused({ nodeId: 'clip' }, 400);
  assert.equal((await api(base, '/api/runs/zzzzzzzzzzzzz/edit', { json: { nodeId: 'clip', params: { max_norm: 1 } } })).status, 404);
  const longer = await api(base, `/api/runs/${id}/edit`, { json: { nodeId: 'training', params: { steps: 70 } } });
  assert.equal(longer.status, 200, longer.text);

  assert.equal((await api(base, `/api/runs/${id}/resume`, { method: 'POST' })).status, 200);
  const final = await finalStatus(base, id);
  assert.equal(final.state, 'completed');
  assert.equal(final.step, 70, 'training.steps extended the run');
  watcher.close();

  const lines = await logLines(id);
  for (const line of lines.filter((l) => typeof l.loss === 'number')) {
    if (line.step <= at) assert.notEqual(line.lr, 0.002, `step ${line.step}, before the edit`);
    else assert.equal(line.lr, 0.002, `step ${line.step}, after the edit`);
  }
  const edits = lines.filter((l) => l.edited);
  assert.deepEqual(
    edits.map((l) => [l.step, l.edited.nodeId]),
    [
      [at, 'scheduler'],
      [at, 'training'],
    ],
  );
  const events = watcher.events.filter((e) => e.type === 'run/edited');
  assert.deepEqual(
    events.map((e) => e.step),
    [at, at],
  );
  assert.equal((await refused({ nodeId: 'clip', params: { max_norm: 1 } }, 409)).error, `run ${id} is completed; only running or paused runs take edits`);
});

test('a prompt sampled mid-run returns text and leaves the losses as a run without it', async () => {
  const pipeline = smokePipeline();
  const asked = await startPaused(pipeline, 4, 30);
  const sample = await api(base, `/api/runs/${asked.id}/sample`, { json: { prompt: 'The ', max_new_tokens: 12, temperature: 0.9, top_k: 20 } });
  assert.equal(sample.status, 200, sample.text);
  assert.ok(sample.json.step >= asked.pausedAt, `sampled at step ${sample.json.step}, paused at ${asked.pausedAt} or later`);
  assert.ok(sample.json.text.startsWith('The ') && sample.json.text.length > 4);
  assert.equal((await api(base, `/api/runs/${asked.id}/sample`, { json: { prompt: 'x', max_new_tokens: 0 } })).status, 400);
  await api(base, `/api/runs/${asked.id}/resume`, { method: 'POST' });
  await finalStatus(base, asked.id);
  asked.watcher.close();

  const { id: plain } = (await api(base, '/api/runs', { json: { pipeline, steps: 30 } })).json;
  await finalStatus(base, plain);
  assert.deepEqual(lossesOf(await logLines(asked.id)), lossesOf(await logLines(plain)));

  // From a checkpoint of the finished run.
  const fromCheckpoint = await api(base, `/api/runs/${plain}/sample`, { json: { prompt: 'The ', max_new_tokens: 8, checkpoint: 'ckpt-000020' } });
  assert.equal(fromCheckpoint.status, 200, fromCheckpoint.text);
  assert.equal(fromCheckpoint.json.step, 20);
  assert.equal((await api(base, `/api/runs/${plain}/sample`, { json: { prompt: 'The ', max_new_tokens: 8, checkpoint: 'ckpt-000011' } })).status, 404);
  assert.equal((await api(base, `/api/runs/${plain}/sample`, { json: { prompt: 'The ', max_new_tokens: 8 } })).status, 409);

  // The answers are kept with the run (prompts.jsonl); refused prompts are not.
  const kept = await api(base, `/api/runs/${asked.id}/prompts`);
  assert.equal(kept.status, 200, kept.text);
  assert.deepEqual(
    kept.json.prompts.map((p: any) => [p.prompt, p.text, p.step, p.checkpoint, p.settings]),
    [['The ', sample.json.text, sample.json.step, null, { max_new_tokens: 12, temperature: 0.9, top_k: 20 }]],
  );
  assert.ok(Date.parse(kept.json.prompts[0].time) > 0);
  const plainKept = (await api(base, `/api/runs/${plain}/prompts?limit=1`)).json.prompts;
  assert.deepEqual(
    plainKept.map((p: any) => [p.text, p.step, p.checkpoint, p.settings]),
    [[fromCheckpoint.json.text, 20, 'ckpt-000020', { max_new_tokens: 8, temperature: 0.8, top_k: 40 }]],
  );
  for (const limit of ['0', '1001', 'x', '1.5']) assert.equal((await api(base, `/api/runs/${plain}/prompts?limit=${limit}`)).status, 400, limit);
  assert.equal((await api(base, '/api/runs/zzzzzzzzzzzzz/prompts')).status, 404);
});

test("a fork continues at the checkpoint step + 1 from the parent's weights; a shape change is refused per field", async () => {
  const parentPipeline = smokePipeline();
  const { id: parent } = (await api(base, '/api/runs', { json: { pipeline: parentPipeline, steps: 30 } })).json;
  await finalStatus(base, parent);
  const parentLosses = new Map(lossesOf(await logLines(parent)) as [number, number][]);

  const forked = smokePipeline((doc) => Object.assign(doc.nodes.find((n: any) => n.id === 'scheduler').params, { kind: 'constant', lr: 0.004 }));
  const before = (await api(base, '/api/runs')).json.runs.length;
  const wide = smokePipeline((doc) => (doc.nodes.find((n: any) => n.id === 'model').params.d_model = 64));
  const refused = await api(base, '/api/runs', { json: { pipeline: wide, steps: 40, resume: { run: parent, checkpoint: 'ckpt-000020' } } });
  assert.equal(refused.status, 400, refused.text);
  assert.deepEqual(
    refused.json.errors.map((e: any) => [e.nodeId, e.field]),
    [['model', 'd_model']],
  );
  assert.equal((await api(base, '/api/runs')).json.runs.length, before, 'nothing created');
  const missing = await api(base, '/api/runs', { json: { pipeline: forked, steps: 40, resume: { run: parent, checkpoint: 'ckpt-000007' } } });
  assert.equal(missing.status, 400);

  const submitted = await api(base, '/api/runs', { json: { pipeline: forked, steps: 40, resume: { run: parent, checkpoint: 'ckpt-000020' } } });
  assert.equal(submitted.status, 201, submitted.text);
  const fork = submitted.json.id;
  const status = await finalStatus(base, fork);
  assert.equal(status.state, 'completed');
  assert.deepEqual(status.parent, { run: parent, checkpoint: 'ckpt-000020', step: 20, optimizerState: 'kept' });
  const lines = (await logLines(fork)).filter((l) => typeof l.loss === 'number');
  assert.equal(lines[0].step, 21);
  // Step 21's loss is computed before its update, on the parent's weights and batch stream.
  assert.equal(lines[0].loss, parentLosses.get(21));
  assert.ok(
    lines.every((l) => l.lr === 0.004),
    'the new schedule from the first step',
  );

  const diff = await api(base, `/api/runs/${fork}/diff`);
  assert.equal(diff.status, 200);
  assert.deepEqual(diff.json.parent, status.parent);
  assert.deepEqual(
    diff.json.params.map((c: any) => [c.nodeId, c.field, c.old, c.new]),
    [
      ['training', 'steps', 30, 40],
      ['scheduler', 'kind', 'cosine', 'constant'],
      ['scheduler', 'lr', 0.01, 0.004],
    ],
  );
  assert.deepEqual(diff.json.nodes, { added: [], removed: [] });
  assert.equal((await api(base, `/api/runs/${parent}/diff`)).status, 404);

  // Another optimizer kind: the weights carry over, the optimizer starts fresh.
  const sgd = smokePipeline((doc) => Object.assign(doc.nodes.find((n: any) => n.id === 'optimizer').params, { kind: 'sgd' }));
  const restarted = await api(base, '/api/runs', {
    json: { pipeline: sgd, steps: 10, resume: { run: parent, checkpoint: 'ckpt-000020', restartSchedule: true } },
  });
  assert.equal(restarted.status, 201, restarted.text);
  const sgdStatus = await finalStatus(base, restarted.json.id);
  assert.equal(sgdStatus.state, 'completed', JSON.stringify(sgdStatus.error));
  assert.equal(sgdStatus.parent.optimizerState, 'fresh');
  const sgdLines = (await logLines(restarted.json.id)).filter((l) => typeof l.loss === 'number');
  assert.deepEqual(
    sgdLines.map((l) => l.step),
    Array.from({ length: 10 }, (_, i) => i + 1),
    'restart schedule: steps from 1',
  );
  assert.ok(sgdLines[0].loss < parentLosses.get(1)! - 0.3, 'starts from the trained weights');
});
