// A server killed mid-run (SIGKILL: no chance to clean up), then a new server on the same runs
// folder: the run is history, marked interrupted, its events replay without a gap, and resuming
// it continues from its last checkpoint to the end, with one train_log line per step.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { createStudioServer } from './app';
import { api, finalStatus, smokePipeline, tempDir, waitFor, Watcher, killServer, spawnServer } from './test-support';

test('a run interrupted by a crash is history after a restart, and resumes from its checkpoint', async () => {
  const runs = await tempDir('studio-runs-');
  const data = await tempDir('studio-data-');
  const { url: first, child } = await spawnServer(runs.path, data.path);
  try {
    const { id } = (await api(first, '/api/runs', { json: { pipeline: smokePipeline(), steps: 60 } })).json;
    const watcher = new Watcher(first, id);
    await watcher.subscribe();
    await waitFor('a checkpoint and a few more steps', () => watcher.events.some((e) => e.type === 'step' && e.step! >= 24));
    watcher.close();
    await killServer(child);

    const server = await createStudioServer({ port: 0, runsDir: runs.path, dataDir: data.path, next: false });
    try {
      const status = (await api(server.url, `/api/runs/${id}`)).json;
      assert.equal(status.state, 'interrupted');
      assert.ok((await api(server.url, '/api/runs')).json.runs.some((r: any) => r.id === id));
      const checkpoints = (await api(server.url, `/api/runs/${id}/checkpoints`)).json.checkpoints;
      const lastCheckpoint = checkpoints.at(-1);
      assert.ok(lastCheckpoint.step >= 20);

      // History up to the crash, then the resumed run, on one gap-free stream.
      const after = new Watcher(server.url, id);
      await after.subscribe();
      assert.deepEqual(after.problems, []);
      // Events are broadcast only once written, so everything a browser saw survived the crash.
      assert.deepEqual(after.events.slice(0, watcher.events.length), watcher.events);
      const beforeResume = after.lastSeq;
      // It continues from the newest checkpoint whose step's events were stored before the crash
      // (server/runs/resume-point.ts): one saved in the last moments may not be.
      const stored = new Set(after.events.filter((e) => e.type === 'step').map((e) => e.step));
      const from = checkpoints.findLast((c: { step: number }) => stored.has(c.step));
      assert.ok(from && from.step >= lastCheckpoint.step - 10, 'at most one checkpoint back');

      const resumed = await api(server.url, `/api/runs/${id}/resume`, { method: 'POST' });
      assert.equal(resumed.status, 200);
      // The status says where it continued and which steps are trained again.
      assert.deepEqual({ ...resumed.json.resumed, at: undefined }, { at: undefined, checkpoint: from.name, step: from.step, reached: status.step });
      const finished = await waitFor('the resumed run to finish', () => after.lastSeq > beforeResume && after.finished());
      after.close();
      assert.deepEqual(after.problems, []);
      assert.equal((finished.data as { status: string }).status, 'completed');
      const restart = after.events.find((e) => e.seq > beforeResume && e.type === 'run/started')!;
      assert.equal(restart.step, from.step);
      assert.equal((restart.data as { resumedFrom?: string }).resumedFrom, from.name);

      const final = await finalStatus(server.url, id);
      assert.equal(final.state, 'completed');
      assert.equal(final.step, 60);
      assert.equal(final.startedAt, status.startedAt, 'the first start is kept');
      assert.ok(final.resumed.at > status.startedAt);
      const logSteps = (await readFile(join(runs.path, id, 'train_log.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).step);
      assert.deepEqual(
        logSteps,
        Array.from({ length: 60 }, (_, i) => i + 1),
        'one log line per step, none twice',
      );
    } finally {
      await server.close();
    }
  } finally {
    child.kill('SIGKILL');
    await runs.remove();
    await data.remove();
  }
});

test('closing the server marks running runs interrupted; a queued run is queued again after a restart', async () => {
  const runs = await tempDir('studio-runs-');
  const data = await tempDir('studio-data-');
  try {
    const first = await createStudioServer({ port: 0, runsDir: runs.path, dataDir: data.path, next: false });
    const running = (await api(first.url, '/api/runs', { json: { pipeline: smokePipeline(), steps: 5000 } })).json.id;
    const queued = (await api(first.url, '/api/runs', { json: { pipeline: smokePipeline(), steps: 3 } })).json.id;
    assert.equal((await api(first.url, `/api/runs/${queued}`)).json.state, 'queued', 'one run trains at a time, even while the first is starting');
    await waitFor('the first run to train', async () => (await api(first.url, `/api/runs/${running}`)).json.state === 'running');
    await first.close();
    const status = JSON.parse(await readFile(join(runs.path, running, 'status.json'), 'utf8'));
    assert.equal(status.state, 'interrupted');

    const second = await createStudioServer({ port: 0, runsDir: runs.path, dataDir: data.path, next: false });
    try {
      assert.equal((await api(second.url, `/api/runs/${running}`)).json.state, 'interrupted');
      await waitFor('the queued run to run', async () => (await api(second.url, `/api/runs/${queued}`)).json.state === 'completed');
    } finally {
      await second.close();
    }
  } finally {
    await runs.remove();
    await data.remove();
  }
});

test('a server closed as a run ends has written its final status when close resolves, and writes nothing after', async () => {
  const runs = await tempDir('studio-runs-');
  const data = await tempDir('studio-data-');
  const server = await createStudioServer({ port: 0, runsDir: runs.path, dataDir: data.path, next: false });
  let closed = false;
  try {
    const { id } = (await api(server.url, '/api/runs', { json: { pipeline: smokePipeline(), steps: 3 } })).json;
    const watcher = new Watcher(server.url, id);
    await watcher.subscribe();
    await waitFor('the run to finish', () => watcher.finished(), 90_000);
    watcher.close();
    // The server is still ending the worker and has not written the final status: close must wait
    // for both (it did not: status.json still said "running" when close resolved, 4 tries of 4,
    // and was written after).
    await server.close();
    closed = true;
    const statusFile = join(runs.path, id, 'status.json');
    const atClose = await readFile(statusFile, 'utf8');
    assert.notEqual(JSON.parse(atClose).state, 'running');
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(await readFile(statusFile, 'utf8'), atClose, 'status.json changed after close resolved');
  } finally {
    if (!closed) await server.close();
    await runs.remove();
    await data.remove();
  }
});
