// RunFolders: events.jsonl survives a crash mid-write, replays stop at damage, resumed runs' logs
// are cut back to the checkpoint, and run ids sort by time.
import assert from 'node:assert/strict';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { RunEvent } from '../../engine/events';
import { tempDir } from '../test-support';
import { isRunId, newRunId } from './ids';
import { eventLine, RunFolders, type RunStatus } from './run-folders';

const step = (n: number): RunEvent => ({ type: 'step', step: n, data: { loss: 5 - n / 10, tokens_per_sec: 1, step_ms: 1, elapsed_s: n } });

async function collect(store: RunFolders, id: string, after: number) {
  const seqs: number[] = [];
  for await (const batch of store.readEvents(id, after, 3)) seqs.push(...batch.map((e) => e.seq));
  return seqs;
}

test('a half-written last event is cut off; the rest replays from any seq', async () => {
  const dir = await tempDir('studio-store-');
  try {
    const store = new RunFolders(dir.path);
    const id = newRunId();
    const status: RunStatus = {
      id, name: 'x', state: 'running', executor: 'node', backend: 'cpu', step: 3, totalSteps: 10, metrics: { loss: 4.7 },
      createdAt: 'a', updatedAt: 'b', lastSeq: 3,
    };
    await store.writeStatus(status);
    assert.deepEqual(await store.readStatus(id), status);
    assert.equal(await store.repairEvents(id), 0, 'no events yet');
    const path = join(store.dir(id), 'events.jsonl');
    await writeFile(path, [1, 2, 3, 4].map((n) => eventLine(n, step(n))).join('') + eventLine(5, step(5)).slice(0, 20));
    assert.equal(await store.repairEvents(id), 4);
    assert.equal(await readFile(path, 'utf8'), [1, 2, 3, 4].map((n) => eventLine(n, step(n))).join(''));
    assert.equal(await store.repairEvents(id), 4, 'repairing again changes nothing');
    assert.deepEqual(await collect(store, id, 0), [1, 2, 3, 4]);
    assert.deepEqual(await collect(store, id, 2), [3, 4]);
    const events = [];
    for await (const batch of store.readEvents(id, 3)) events.push(...batch);
    assert.deepEqual(events, [{ runId: id, seq: 4, ...step(4) }]);

    // A gap (a lost line) ends the replay there: what follows cannot be trusted to be in order.
    await appendFile(path, eventLine(6, step(6)));
    assert.deepEqual(await collect(store, id, 0), [1, 2, 3, 4]);
    assert.deepEqual(await store.list(), [id]);
  } finally {
    await dir.remove();
  }
});

test('keepStepsUpTo drops log lines beyond a checkpoint', async () => {
  const dir = await tempDir('studio-store-');
  try {
    const store = new RunFolders(dir.path);
    const id = newRunId();
    await store.writeJson(id, 'pipeline.json', {});
    const path = join(store.dir(id), 'train_log.jsonl');
    await writeFile(path, [1, 2, 3, 4, 5].map((n) => JSON.stringify({ step: n, loss: 1 }) + '\n').join('') + '{"step":6,"lo');
    await store.keepStepsUpTo(id, 'train_log.jsonl', 3);
    assert.deepEqual((await readFile(path, 'utf8')).trim().split('\n').map((l) => JSON.parse(l).step), [1, 2, 3]);
    await store.keepStepsUpTo(id, 'samples.jsonl', 3); // missing file: nothing to do
  } finally {
    await dir.remove();
  }
});

test('run ids are URL-safe and sort by creation time', () => {
  const ids = [newRunId(1_700_000_000_000), newRunId(1_700_000_000_000), newRunId(1_700_000_000_001), newRunId()];
  for (const id of ids) assert.ok(isRunId(id), id);
  assert.deepEqual([...ids].sort(), ids);
  assert.equal(new Set(ids).size, ids.length);
  assert.ok(!isRunId('../../etc'));
  assert.throws(() => new RunFolders('runs').dir('../x'), /not a run id/);
});
