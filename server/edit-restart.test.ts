// A live-edited run whose server is killed (SIGKILL) after the edit, then resumed by a new server
// from a checkpoint taken before the edit: the edit is replayed at its step, and the resumed run's
// losses equal those the run had before the kill, step for step.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { createStudioServer } from './app';
import { api, finalStatus, smokePipeline, tempDir, waitFor, Watcher, killServer, spawnServer } from './test-support';

test('kill -9 after a live edit, then resume: the edited run is reproduced exactly', async () => {
  const runs = await tempDir('studio-runs-');
  const data = await tempDir('studio-data-');
  const { url: first, child } = await spawnServer(runs.path, data.path);
  try {
    const pipeline = smokePipeline((doc) => Object.assign(doc.nodes.find((n: any) => n.id === 'checkpoint').params, { every: 5, keep_last: 100 }));
    const { id } = (await api(first, '/api/runs', { json: { pipeline, steps: 80 } })).json;
    const watcher = new Watcher(first, id);
    await watcher.subscribe();
    await waitFor('step 7', () => watcher.events.some((e) => e.type === 'step' && e.step! >= 7), 60_000);
    await api(first, `/api/runs/${id}/pause`, { method: 'POST' });
    // Two edits at one step: a new schedule, and no more checkpoints (so the last is before the edit).
    const lr = await api(first, `/api/runs/${id}/edit`, { json: { nodeId: 'scheduler', params: { kind: 'constant', lr: 0.003 } } });
    const cadence = await api(first, `/api/runs/${id}/edit`, { json: { nodeId: 'checkpoint', params: { every: 100_000, at_end: false } } });
    assert.equal(lr.status, 200, lr.text);
    assert.equal(cadence.status, 200, cadence.text);
    const at = lr.json.appliedAtStep;
    assert.equal(cadence.json.appliedAtStep, at);
    await api(first, `/api/runs/${id}/resume`, { method: 'POST' });
    await waitFor(`step ${at + 8}`, () => watcher.events.some((e) => e.type === 'step' && e.step! >= at + 8), 60_000);
    await killServer(child);
    watcher.close();
    const before = new Map(watcher.events.filter((e) => e.type === 'step').map((e) => [e.step!, (e.data as { loss: number }).loss]));

    const server = await createStudioServer({ port: 0, runsDir: runs.path, dataDir: data.path, next: false });
    try {
      const checkpoints = (await api(server.url, `/api/runs/${id}/checkpoints`)).json.checkpoints;
      const last = checkpoints.at(-1).step;
      assert.ok(last <= at, `the last checkpoint (${last}) is from before the edit (${at})`);
      assert.equal((await api(server.url, `/api/runs/${id}/resume`, { method: 'POST' })).status, 200);
      const final = await finalStatus(server.url, id);
      assert.equal(final.state, 'completed');

      const lines = (await readFile(join(runs.path, id, 'train_log.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      const steps = lines.filter((l) => typeof l.loss === 'number');
      assert.deepEqual(
        steps.map((l) => l.step),
        Array.from({ length: 80 }, (_, i) => i + 1),
        'one line per step',
      );
      let compared = 0;
      for (const line of steps) {
        if (line.step > last && before.has(line.step)) {
          assert.equal(line.loss, before.get(line.step), `step ${line.step}: the resumed run equals the run before the kill`);
          compared++;
        }
        assert.equal(line.lr === 0.003, line.step > at, `step ${line.step}: lr ${line.lr}`);
      }
      assert.ok(compared >= 8, `compared ${compared} steps across the edit`);
      assert.deepEqual(
        lines.filter((l) => l.edited).map((l) => [l.step, l.edited.nodeId]),
        [
          [at, 'scheduler'],
          [at, 'checkpoint'],
        ],
      );
      const edits = (await readFile(join(runs.path, id, 'edits.jsonl'), 'utf8')).trim().split('\n');
      assert.equal(edits.length, 2, 'the replay is not recorded as new edits');
    } finally {
      await server.close();
    }
  } finally {
    child.kill('SIGKILL');
    await runs.remove();
    await data.remove();
  }
});
