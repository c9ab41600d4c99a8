// Faults lose nothing: the server process (which owns the run's worker thread) is killed with
// SIGKILL again and again, at random moments of training and the instant a checkpoint save starts
// writing its files, then restarted on the same runs folder and the run resumed. After every kill
// the folder is checked on disk: each checkpoint's metadata parses and its weights decode (no
// half-written checkpoint, only `.tmp-` leftovers), train_log.jsonl has whole lines, each step
// at most once, and events.jsonl is gap-free and holds every step up to the resume point, with
// the losses of train_log.jsonl and that checkpoint's checkpoint/saved. Each resume starts from
// the newest complete checkpoint whose step's events are stored (a kill between a checkpoint's
// commit and its events goes back one), and in the end the run's train_log.jsonl, samples, loss
// curve and event stream hold every step of an uninterrupted run on the same (cpu) backend.
import assert from 'node:assert/strict';
import { mkdirSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { smokePipeline, tempDir, waitFor } from '../test-support';
import { checkEventsOnDisk, inspectCheckpoints, json, readJsonl, startServer, type ServerProcess } from './support';

const STEPS = 120;
const KILLS = 6;

/** The smoke pipeline with a checkpoint every 2 steps, so a random kill often lands in a save. */
const pipeline = smokePipeline((doc) => {
  const set = (id: string, params: Record<string, unknown>) => Object.assign(doc.nodes.find((n: any) => n.id === id).params, params);
  set('checkpoint', { every: 2, keep_last: 3 });
  set('eval', { every: 10 });
  set('sample', { every: 25 });
});

/** A deterministic stand-in for Math.random, so a failing sequence of kills can be replayed. */
function rng(seed: number) {
  return () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

test(`${KILLS} kills -9 during training and checkpoint writes lose nothing`, { timeout: 900_000 }, async (t) => {
  const runs = await tempDir('faults-runs-');
  const data = await tempDir('faults-data-');
  const env = { RUNS_DIR: runs.path, DATA_DIR: data.path };
  const random = rng(Number(process.env.FAULTS_SEED ?? 20261129));
  let server: ServerProcess | undefined;
  t.after(async () => {
    await server?.kill();
    await runs.remove();
    await data.remove();
  });

  // 1. The reference: the same pipeline, uninterrupted (also prepares the corpus once).
  server = await startServer(env);
  const reference = (await json(server.url, '/api/runs', { body: { pipeline, steps: STEPS, backend: 'cpu' } })).id;
  await waitFor('the reference run', async () => (await json(server!.url, `/api/runs/${reference}`)).state === 'completed', 120_000);

  // 2. The victim.
  const id = (await json(server.url, '/api/runs', { body: { pipeline, steps: STEPS, backend: 'cpu' } })).id;
  const dir = join(runs.path, id);
  const checkpointsDir = join(dir, 'checkpoints');
  const logPath = join(dir, 'train_log.jsonl');
  const loggedSteps = () => readJsonl(logPath).lines.length;

  let kills = 0;
  let midSave = 0;
  /** Kills that left a checkpoint newer than the stored events of its step. */
  let inWindow = 0;
  const leftovers = new Set<string>();
  const resumedFrom: number[] = [];
  let startStep = 0;
  for (; kills < KILLS; kills++) {
    // Let it train past where it (re)started.
    const state = await waitFor(
      'training',
      async () => {
        const status = await json(server!.url, `/api/runs/${id}`);
        return (status.state === 'completed' || loggedSteps() > startStep + 1) && status.state;
      },
      60_000,
    );
    if (state === 'completed') break;

    // 3. Kill: half the time at a random moment, half the time as a checkpoint save begins.
    const atSave = kills % 2 === 1;
    if (atSave) {
      mkdirSync(checkpointsDir, { recursive: true }); // the store makes it on the first save; watch needs it now
      let watcher: FSWatcher | undefined;
      let fallback: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        watcher = watch(checkpointsDir, (_event, file) => {
          if (file?.includes('.tmp-')) resolve();
        });
        fallback = setTimeout(resolve, 20_000); // never hang: a kill at any moment is a valid fault too
      });
      clearTimeout(fallback);
      watcher!.close();
    } else {
      await new Promise((r) => setTimeout(r, random() * 1500));
    }
    await server.kill();

    // 4. On disk, with no server: nothing half-written.
    const folder = inspectCheckpoints(checkpointsDir);
    // Leftovers stay until they are 10 minutes old (see checkpoint-dir.ts): count the new ones.
    const fresh = [...folder.temporary, ...folder.orphanWeights].filter((f) => !leftovers.has(f));
    if (fresh.length) midSave++;
    for (const f of fresh) leftovers.add(f);
    const log = readJsonl(logPath);
    assert.equal(log.torn, false, 'train_log.jsonl ends with a whole line');
    assert.deepEqual(
      log.lines.map((l) => l.step),
      Array.from({ length: log.lines.length }, (_, i) => i + 1),
      'each step logged once, in order',
    );
    const stored = checkEventsOnDisk(dir, folder.complete);
    if (stored.inWindow) inWindow++;
    const newest = stored.resumePoint;

    // 5. A new server on the same folder; resume from the newest complete checkpoint.
    server = await startServer(env);
    const status = await json(server.url, `/api/runs/${id}`);
    assert.equal(status.state, 'interrupted');
    const listed = (await json(server.url, `/api/runs/${id}/checkpoints`)).checkpoints;
    assert.deepEqual(
      listed.map((c: any) => c.name),
      folder.complete.map((c) => c.name),
      'the API lists exactly the complete checkpoints',
    );
    const seqBefore = status.lastSeq;
    const resumed = await json(server.url, `/api/runs/${id}/resume`, { method: 'POST' });
    assert.equal(resumed.resumeFrom, newest?.name);
    startStep = newest?.step ?? 0;
    resumedFrom.push(startStep);
    assert.deepEqual(
      readJsonl(logPath).lines.map((l) => l.step),
      Array.from({ length: startStep }, (_, i) => i + 1),
      'the log is cut back to the checkpoint',
    );
    const started = await waitFor(
      'the resumed run to start',
      async () => {
        const text = await (await fetch(`${server!.url}/api/runs/${id}/events?after=${seqBefore}`)).text();
        return text
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l))
          .find((e) => e.type === 'run/started');
      },
      60_000,
    );
    assert.equal(started.step, startStep, 'continues from its last complete checkpoint');
    assert.equal(started.data.resumedFrom, newest?.name);
  }
  assert.ok(kills >= 5, `only ${kills} kills before the run ended: raise STEPS`);

  // 6. The last resume runs to the end.
  await waitFor('the run to complete', async () => (await json(server!.url, `/api/runs/${id}`)).state === 'completed', 120_000);
  const final = inspectCheckpoints(checkpointsDir);
  assert.equal(final.complete.at(-1)?.step, STEPS);

  // 7. Nothing lost, nothing twice: the log and samples are the uninterrupted run's, number for number.
  const got = readJsonl(logPath);
  const want = readJsonl(join(runs.path, reference, 'train_log.jsonl'));
  assert.equal(got.torn, false);
  assert.deepEqual(
    got.lines.map((l) => l.step),
    Array.from({ length: STEPS }, (_, i) => i + 1),
  );
  let worst = 0;
  for (const [i, line] of got.lines.entries()) {
    for (const key of ['loss', 'lr', 'grad_norm', 'val_loss'] as const) {
      assert.equal(line[key] === undefined, want.lines[i][key] === undefined, `step ${i + 1}: ${key} present in one run only`);
      if (line[key] === undefined) continue;
      const rel = Math.abs(line[key] - want.lines[i][key]) / Math.max(Math.abs(want.lines[i][key]), 1e-12);
      worst = Math.max(worst, rel);
      assert.ok(rel <= 1e-6, `step ${i + 1} ${key}: ${line[key]} vs uninterrupted ${want.lines[i][key]}`);
    }
  }
  const samples = (path: string) => readJsonl(path).lines.map((l) => [l.step, l.text]);
  assert.deepEqual(samples(join(dir, 'samples.jsonl')), samples(join(runs.path, reference, 'samples.jsonl')));

  // The event stream: one gap-free seq, one run/started per segment, from the checkpoints above.
  const events = readJsonl(join(dir, 'events.jsonl')).lines;
  assert.deepEqual(
    events.map((e) => e.seq),
    Array.from({ length: events.length }, (_, i) => i + 1),
  );
  assert.deepEqual(
    events.filter((e) => e.type === 'run/started').map((e) => e.step),
    [0, ...resumedFrom],
  );
  assert.equal(events.at(-1).type, 'run/finished');
  const eventSteps = [...new Set(events.filter((e) => e.type === 'step').map((e) => e.step))].sort((a, b) => a - b);
  assert.deepEqual(
    eventSteps,
    Array.from({ length: STEPS }, (_, i) => i + 1),
    'every step has its step event',
  );
  const lastLoss = new Map(events.filter((e) => e.type === 'step').map((e) => [e.step, e.data.loss]));
  for (const line of got.lines) assert.equal(lastLoss.get(line.step), line.loss, `step ${line.step}: events.jsonl and train_log.jsonl agree`);
  const saved = new Set(events.filter((e) => e.type === 'checkpoint/saved').map((e) => e.data.name));
  for (const c of final.complete) assert.ok(saved.has(c.name), `checkpoint/saved ${c.name} is in the stream`);

  const figures = {
    kills,
    killsThatCaughtASaveMidway: midSave,
    killsBetweenACheckpointAndItsEvents: inWindow,
    events: events.length,
    leftoverFiles: [...leftovers].length,
    resumedFromSteps: resumedFrom,
    steps: STEPS,
    worstRelativeDifference: worst,
  };
  t.diagnostic(`kill faults: ${JSON.stringify(figures)}`);
  await server.stop();
});
