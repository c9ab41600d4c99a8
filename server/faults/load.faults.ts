// Load: 50 socket.io clients (127.0.0.1) watch 10 queued runs while they train one after the
// other, each dropping its connection and coming back several times (bounded), subscribing again
// after the last seq it has. Every client must end with every run's complete event sequence, in
// order, equal to the run's events.jsonl; the server's memory must stay bounded (its heap after a
// garbage collection, and its RSS); and the training step time is compared with unwatched runs.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { smokePipeline, tempDir, waitFor } from '../test-support';
import { json, median, readJsonl, RunsClient, rssMiB, startServer, type ServerProcess } from './support';

const CLIENTS = 50;
const RUNS = 10;
const STEPS = 30;
const MAX_ROUNDS = 20; // reconnections per client, at most
const RSS_GROWTH_LIMIT_MIB = 256;
const HEAP_GROWTH_LIMIT_MIB = 16;

/** CPU seconds a process has used (user + system), from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100 Hz)
}

test(`${CLIENTS} clients reconnecting during ${RUNS} queued runs all get every event, in order`, { timeout: 240_000 }, async (t) => {
  const runs = await tempDir('load-runs-');
  const data = await tempDir('load-data-');
  let server: ServerProcess | undefined;
  t.after(async () => {
    await server?.kill();
    await runs.remove();
    await data.remove();
  });
  server = await startServer({ RUNS_DIR: runs.path, DATA_DIR: data.path, MAX_CONCURRENT_RUNS: '1' }, { probe: true });
  const base = server.url;
  const submit = async () => (await json(base, '/api/runs', { body: { pipeline: smokePipeline(), steps: STEPS, backend: 'cpu' } })).id as string;
  const stepMs = (id: string) => readJsonl(join(runs.path, id, 'train_log.jsonl')).lines.map((l) => l.step_ms as number);
  const allFinal = async (ids: string[]) =>
    (await json(base, '/api/runs')).runs.filter((r: any) => ids.includes(r.id)).every((r: any) => r.state === 'completed');

  /**
   * RSS once it settles: V8 gives memory back lazily after a burst, so the lowest of a few seconds
   * of samples is what the server keeps, not what it happened to hold at one instant.
   */
  const settledRss = async () => {
    let low = Infinity;
    for (let i = 0; i < 24; i++) {
      low = Math.min(low, rssMiB(server!.pid));
      await new Promise((r) => setTimeout(r, 250));
    }
    return low;
  };

  // 1. Nobody watching: two runs (the first also prepares the corpus); one more at the end.
  const quiet = [await submit(), await submit()];
  await waitFor('the unwatched runs', () => allFinal(quiet), 120_000);
  const rssBefore = await settledRss();
  const heapBefore = (await server.memory()).heapUsed;

  /** `count` runs queued, CLIENTS clients watching all of them, coming and going; then checked. */
  const watchedRuns = async (count: number) => {
    const cpuBefore = cpuSeconds(server!.pid);
    const ids: string[] = [];
    for (let i = 0; i < count; i++) ids.push(await submit());
    let rssPeak = rssMiB(server!.pid);
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssMiB(server!.pid))), 250);
    let finished = false;
    const poller = (async () => {
      while (!finished) {
        finished = await allFinal(ids);
        await new Promise((r) => setTimeout(r, 500));
      }
    })();
    const clients = Array.from({ length: CLIENTS }, () => new RunsClient(base, ids));
    let seed = 12345 + count;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    await Promise.all(
      clients.map(async (client) => {
        for (let round = 0; round < MAX_ROUNDS && !finished; round++) {
          await client.connect();
          await new Promise((r) => setTimeout(r, 200 + random() * 1800));
          client.disconnect();
          await new Promise((r) => setTimeout(r, random() * 300));
        }
      }),
    );
    await poller;
    // Everyone back for the end of the stream.
    const final = new Map<string, number>((await json(base, '/api/runs')).runs.map((r: any) => [r.id, r.lastSeq]));
    await Promise.all(clients.map((c) => c.connect()));
    await waitFor('every client to have every event', () => clients.every((c) => ids.every((id) => c.lastSeq(id) === final.get(id))), 60_000);
    clearInterval(sampler);
    const cpuUsed = cpuSeconds(server!.pid) - cpuBefore;
    for (const c of clients) c.disconnect();
    const rssAfter = await settledRss();
    const heapAfter = (await server!.memory()).heapUsed;

    // Each client's copy of each run is the stored stream, event for event.
    let compared = 0;
    for (const id of ids) {
      const stored = readJsonl(join(runs.path, id, 'events.jsonl')).lines.map((e) => ({ runId: id, ...e }));
      assert.equal(stored.at(-1).type, 'run/finished');
      assert.equal(stored.length, final.get(id));
      for (const client of clients) {
        assert.deepEqual(client.events.get(id), stored, `client's copy of run ${id}`);
        compared += stored.length;
      }
    }
    for (const client of clients) assert.deepEqual(client.problems, []);
    return {
      runs: count,
      connections: clients.reduce((n, c) => n + c.connections, 0),
      eventsCompared: compared,
      rssPeakMiB: +rssPeak.toFixed(1),
      rssAfterMiB: +rssAfter.toFixed(1),
      heapAfterGcMiB: heapAfter,
      medianStepMs: +median(ids.flatMap(stepMs)).toFixed(2),
      serverCpuSeconds: +cpuUsed.toFixed(1),
    };
  };

  // 2. Ten runs queued and watched; then three more, to see whether memory keeps growing.
  const first = await watchedRuns(RUNS);
  const second = await watchedRuns(3);
  // The machine's other load drifts: an unwatched run after the watched ones too.
  quiet.push(await submit());
  await waitFor('the last unwatched run', () => allFinal(quiet), 120_000);
  const quietStepMs = median(quiet.flatMap(stepMs));
  const figures = {
    clients: CLIENTS,
    stepsPerRun: STEPS,
    rssBeforeMiB: +rssBefore.toFixed(1),
    heapBeforeGcMiB: heapBefore,
    first,
    second,
    medianStepMs: { unwatched: +quietStepMs.toFixed(2), with50Clients: first.medianStepMs },
  };
  t.diagnostic(`load: ${JSON.stringify(figures)}`);
  // Bounded: what the server still holds after a collection does not grow with clients, runs or
  // reconnections (a few KB per run record); RSS, which keeps V8's and malloc's high-water
  // marks, only has to stay within a generous limit.
  assert.ok(first.heapAfterGcMiB - heapBefore < HEAP_GROWTH_LIMIT_MIB, `heap after GC grew from ${heapBefore} to ${first.heapAfterGcMiB} MiB`);
  assert.ok(
    second.heapAfterGcMiB - first.heapAfterGcMiB < HEAP_GROWTH_LIMIT_MIB / 2,
    `heap after GC kept growing: ${first.heapAfterGcMiB} -> ${second.heapAfterGcMiB} MiB`,
  );
  assert.ok(
    Math.max(first.rssAfterMiB, second.rssAfterMiB) - rssBefore < RSS_GROWTH_LIMIT_MIB,
    `RSS grew from ${rssBefore} to ${first.rssAfterMiB}, ${second.rssAfterMiB} MiB`,
  );
  // Streaming happens on the main thread, training in the worker: watchers should not slow steps.
  // The bound is loose because the clients share this machine's cores with the server.
  assert.ok(first.medianStepMs < 2.5 * quietStepMs, `median step ${quietStepMs} ms unwatched, ${first.medianStepMs} ms watched`);
  await server.stop();
});
