// A browser sweep trained by its tab against a real server: the tab claims the points in order,
// trains each (in-process worker, CPU backend) with the pipeline the server stored for it, and
// records it; a stop of the sweep while the second point trains reaches that run through its live
// requests and cancels the third, which the tab then skips.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createStudioServer, type StudioServer } from '../server/app';
import { api, tempDir } from '../server/test-support';
import { startBrowserRun } from './browser-executor';
import { trainSweepInTab } from './browser-sweep';
import type { TabTraining } from './browser-runs';
import { RunRecorder } from './run-recorder';
import type { RunStatus } from './run-stream';
import { serveTabRequests } from './tab-requests';
import { inProcessWorker } from './testing/in-process-worker';

const SMOKE = JSON.parse(readFileSync(new URL('../pipelines/smoke.json', import.meta.url), 'utf8'));
const TEXT = Array.from({ length: 300 }, (_, i) => `Row ${i % 11}: pack my box with five dozen liquor jugs.`).join('\n') + '\n';
const LRS = [2e-3, 5e-3, 1e-2];

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

/** The tab's part for one point, as the studio does it, on the in-process worker; `onStep` sees each step. */
function trainer(onStep: (runId: string, step: number) => void) {
  return (status: RunStatus, pipeline: unknown): TabTraining => {
    const recorder = new RunRecorder(status.id, { origin: server.url, intervalMs: 100 });
    const run = startBrowserRun({
      pipeline,
      backend: 'cpu',
      data: { kind: 'text', text: TEXT, tokenizer: 'byte' },
      createWorker: inProcessWorker,
      onEvents: (events) => {
        recorder.addEvents(events);
        for (const e of events) if (e.type === 'step') onStep(status.id, e.step);
      },
      onLine: (file, line) => recorder.addLine(file, line),
      onCheckpoint: (c) => recorder.addCheckpoint(c),
    });
    const serving = serveTabRequests(status.id, run, { origin: server.url });
    const finished = run.done.then(async (result) => {
      assert.ok(await recorder.finish(), 'the server holds the whole run');
      await serving;
      return result.status;
    });
    return { problems: Promise.resolve([]), finished, stop: () => run.stop() };
  };
}

test('the tab trains a browser sweep point after point; a stop ends the one training and cancels the rest', async () => {
  const doc = structuredClone(SMOKE);
  for (const n of doc.nodes) if (n.id === 'dataset') n.params.source = 'files';
  const created = await api(server.url, '/api/sweeps', {
    json: { pipeline: doc, executor: 'browser', steps: 400, axes: [{ nodeId: 'scheduler', field: 'lr', values: LRS }] },
  });
  assert.equal(created.status, 201, created.text);
  const { id, runs } = created.json as { id: string; runs: string[] };

  const started: string[] = [];
  let stopAsked = false;
  let waiting: Promise<string> | undefined;
  const onStep = (runId: string, step: number) => {
    // The first point trains to its end; the second is stopped through the sweep a few steps in.
    if (runId === runs[1] && step >= 3 && !stopAsked) {
      stopAsked = true;
      void api(server.url, `/api/sweeps/${id}/stop`, { method: 'POST' });
    }
    if (runId === runs[0] && step === 5) {
      // While the first point trains, the others still wait for this tab.
      waiting = api(server.url, `/api/runs/${runs[1]}`).then((r) => r.json.state);
    }
  };
  // The first point is short, the second long enough to be stopped mid-run.
  const outcomes = await trainSweepInTab(runs, 'cpu', {
    origin: server.url,
    train: (status, pipeline) => {
      const p = structuredClone(pipeline) as { training: { steps: number } };
      if (status.id === runs[0]) p.training.steps = 12;
      return trainer(onStep)(status, p);
    },
    onPoint: (runId) => started.push(runId),
  });

  assert.equal(await waiting, 'queued', 'while the first point trained, the second waited for this tab');
  assert.deepEqual(started, runs.slice(0, 2), 'points start one after another; the cancelled one never does');
  assert.deepEqual(
    outcomes.map((o) => ('state' in o ? o.state : 'skipped')),
    ['completed', 'stopped', 'skipped'],
  );
  assert.match((outcomes[2] as { skipped: string }).skipped, /stopped/);

  const sweep = (await api(server.url, `/api/sweeps/${id}`)).json;
  assert.equal(sweep.state, 'stopped');
  assert.deepEqual(
    sweep.runs.map((r: { state: string }) => r.state),
    ['completed', 'stopped', 'stopped'],
  );
  for (const [i, run] of runs.slice(0, 2).entries()) {
    const lines = (await readFile(join(dirs[0].path, run, 'train_log.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    // The cosine schedule peaks at the point's lr at the end of warmup.
    assert.ok(Math.abs(Math.max(...lines.map((l) => l.lr)) - LRS[i]) < 1e-9, `point ${i} trained with lr ${LRS[i]}`);
    const status = (await api(server.url, `/api/runs/${run}`)).json;
    assert.deepEqual(status.sweep, { id, values: { 'scheduler.lr': LRS[i] } });
    assert.equal(status.executor, 'browser');
  }
  assert.equal((await api(server.url, `/api/runs/${runs[0]}`)).json.step, 12);
  assert.ok((await api(server.url, `/api/runs/${runs[1]}`)).json.step < 400, 'the stopped point ended early');
});
