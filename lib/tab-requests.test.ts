// A live edit of a browser run through the API: the server holds it until the run's tab fetches
// it, the tab's worker applies it between steps, and the API answers with the step the tab
// reports; the run's recorded log shows the new lr from the next step on.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createStudioServer, type StudioServer } from '../server/app';
import { api, finalStatus, tempDir } from '../server/test-support';
import { startBrowserRun } from './browser-executor';
import { RunRecorder } from './run-recorder';
import { serveTabRequests } from './tab-requests';
import { inProcessWorker } from './testing/in-process-worker';

const SMOKE = JSON.parse(readFileSync(new URL('../pipelines/smoke.json', import.meta.url), 'utf8'));
const TEXT = Array.from({ length: 300 }, (_, i) => `Row ${i % 11}: pack my box with five dozen liquor jugs.`).join('\n') + '\n';

let server: StudioServer;
const dirs: Awaited<ReturnType<typeof tempDir>>[] = [];

before(async () => {
  dirs.push(await tempDir('studio-runs-'), await tempDir('studio-data-'));
  server = await createStudioServer({ port: 0, runsDir: dirs[0].path, dataDir: dirs[1].path, next: false });
});

after(async () => {
  await server.close();
  for (const d of dirs) await d.remove();
});

test('the API edits a browser run through its tab', async () => {
  const doc = structuredClone(SMOKE);
  doc.training.steps = 40;
  for (const n of doc.nodes) if (n.id === 'dataset') n.params.source = 'files';
  const { id } = (await api(server.url, '/api/runs', { json: { pipeline: doc, executor: 'browser', backend: 'cpu' } })).json;
  const recorder = new RunRecorder(id, { origin: server.url, intervalMs: 100 });
  let reached!: () => void;
  const atStep3 = new Promise<void>((resolve) => (reached = resolve));
  const run = startBrowserRun({
    pipeline: doc,
    backend: 'cpu',
    data: { kind: 'text', text: TEXT, tokenizer: 'byte' },
    createWorker: inProcessWorker,
    onEvents: (events) => {
      recorder.addEvents(events);
      if (events.some((e) => e.type === 'step' && e.step >= 3)) reached();
    },
    onLine: (file, line) => recorder.addLine(file, line),
    onCheckpoint: (c) => recorder.addCheckpoint(c),
  });
  const serving = serveTabRequests(id, run, { origin: server.url });
  await atStep3;
  run.pause();
  recorder.setPaused(true);
  const edit = await api(server.url, `/api/runs/${id}/edit`, { json: { nodeId: 'scheduler', params: { kind: 'constant', lr: 0.0035 } } });
  assert.equal(edit.status, 200, edit.text);
  const at = edit.json.appliedAtStep;
  const locked = await api(server.url, `/api/runs/${id}/edit`, { json: { nodeId: 'get_batch', params: { batch_size: 2 } } });
  assert.equal(locked.status, 409, locked.text);
  const sample = await api(server.url, `/api/runs/${id}/sample`, { json: { prompt: 'Row ', max_new_tokens: 5 } });
  assert.equal(sample.status, 200, sample.text);
  assert.equal(sample.json.step, at);
  assert.equal((await api(server.url, `/api/runs/${id}/requests/999`, { json: { outcome: { appliedAtStep: 1 } } })).status, 404);
  run.resume();
  recorder.setPaused(false);
  await run.done;
  assert.ok(await recorder.finish());
  await serving;
  const final = await finalStatus(server.url, id);
  assert.equal(final.state, 'completed');
  const lines = (await readFile(join(dirs[0].path, id, 'train_log.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  for (const line of lines.filter((l) => typeof l.loss === 'number')) assert.equal(line.lr === 0.0035, line.step > at, `step ${line.step}`);
  assert.deepEqual(
    lines.filter((l) => l.edited).map((l) => l.step),
    [at],
  );
  const history = (await readFile(join(dirs[0].path, id, 'edits.jsonl'), 'utf8')).trim().split('\n');
  assert.equal(history.length, 1, 'a browser run keeps its edit history on the server too');
  assert.equal((await api(server.url, `/api/runs/${id}/edit`, { json: { nodeId: 'clip', params: { max_norm: 1 } } })).status, 409);
});
