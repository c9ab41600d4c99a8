// EventHub: history then live, with no gap and no duplicate, while events keep arriving during a
// slow history read, and when the history read falls behind the in-memory window.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WireEvent } from './run-folders';
import { EventHub } from './stream';

/**
 * An event log whose history reads take `delayMs` per batch (a slow disk). A read sees what was
 * stored when it began, like reading a file that is still being appended to.
 */
function log(delayMs: number, batchSize = 7) {
  const stored: WireEvent[] = [];
  const reads: number[] = [];
  const read = async function* (_runId: string, after: number) {
    reads.push(after);
    const end = stored.length;
    let next = after;
    for (;;) {
      await new Promise((r) => setTimeout(r, delayMs));
      const batch = stored.slice(0, end).filter((e) => e.seq > next).slice(0, batchSize);
      if (!batch.length) return;
      next = batch.at(-1)!.seq;
      yield batch;
    }
  };
  const make = (seq: number): WireEvent => ({ runId: 'r', seq, type: 'step', step: seq, data: { loss: 1, tokens_per_sec: 1, step_ms: 1, elapsed_s: 1 } });
  return { stored, read, make, reads };
}

function receiver() {
  const got: number[] = [];
  return { got, send: (events: WireEvent[]) => got.push(...events.map((e) => e.seq)) };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

test('watchers joining during a run, from any seq, get each event once and in order', async () => {
  const { stored, read, make } = log(3);
  const hub = new EventHub(read, 5);
  hub.open('r', 0);
  let seq = 0;
  const produce = (n: number) => {
    const batch = Array.from({ length: n }, () => make(++seq));
    stored.push(...batch); // "written to disk", then published
    hub.publish('r', batch);
  };
  produce(40);
  const a = receiver();
  const b = receiver();
  const c = receiver();
  const watchA = hub.watch('r', 0, a.send);
  const watchB = hub.watch('r', 17, b.send);
  // Keep producing while their history is being read.
  const producing = (async () => {
    for (let i = 0; i < 30; i++) {
      produce(3);
      if (i === 10) hub.watch('r', 0, c.send);
      await new Promise((r) => setTimeout(r, 2));
    }
  })();
  await Promise.all([watchA.ready, watchB.ready, producing]);
  await new Promise((r) => setTimeout(r, 100));
  hub.flush();
  assert.deepEqual(a.got, range(1, seq));
  assert.deepEqual(b.got, range(18, seq));
  assert.deepEqual(c.got, range(1, seq));
  hub.close();
});

test('a history read that falls behind the in-memory window reads again', async () => {
  const { stored, read, make, reads } = log(1, 100_000);
  const hub = new EventHub(read, 5);
  hub.open('r', 0);
  // More than the hub keeps in memory, published while the watcher's first read is under way.
  const first = Array.from({ length: 10 }, (_, i) => make(i + 1));
  stored.push(...first);
  hub.publish('r', first);
  const w = receiver();
  const watch = hub.watch('r', 0, w.send);
  const many = Array.from({ length: 25_000 }, (_, i) => make(i + 11));
  stored.push(...many);
  hub.publish('r', many);
  await watch.ready;
  hub.flush();
  assert.deepEqual(w.got, range(1, 25_010));
  assert.deepEqual(reads, [0, 10], 'read again from where the first read ended');
  hub.close();
});

test('a closed watcher gets nothing more', async () => {
  const { stored, read, make } = log(1);
  const hub = new EventHub(read, 5);
  hub.open('r', 0);
  const w = receiver();
  const watch = hub.watch('r', 0, w.send);
  await watch.ready;
  const batch = [make(1), make(2)];
  stored.push(...batch);
  hub.publish('r', batch);
  hub.flush();
  watch.close();
  stored.push(make(3));
  hub.publish('r', [stored[2]]);
  hub.flush();
  assert.deepEqual(w.got, [1, 2]);
  assert.throws(() => hub.watch('nope', 0, () => {}), /no run nope/);
  hub.close();
});

test('up-to-date watchers with a target share one broadcast per batch', async () => {
  const { stored, read, make } = log(1);
  const hub = new EventHub(read, 5);
  const broadcasts: { targets: string[]; seqs: number[] }[] = [];
  hub.useBroadcaster((_runId, targets, events) => broadcasts.push({ targets, seqs: events.map((e) => e.seq) }));
  hub.open('r', 0);
  const alone = receiver();
  const watches = [hub.watch('r', 0, () => assert.fail('sent alone'), 'a'), hub.watch('r', 0, () => assert.fail('sent alone'), 'b'), hub.watch('r', 0, alone.send)];
  await Promise.all(watches.map((w) => w.ready));
  for (const n of [1, 2]) {
    const batch = [make(2 * n - 1), make(2 * n)];
    stored.push(...batch);
    hub.publish('r', batch);
    hub.flush();
  }
  assert.deepEqual(broadcasts, [{ targets: ['a', 'b'], seqs: [1, 2] }, { targets: ['a', 'b'], seqs: [3, 4] }]);
  assert.deepEqual(alone.got, [1, 2, 3, 4]);
  hub.close();
});

test('a settled run (ended, all stored) holds no events in memory; late and slow watchers read the file', async () => {
  const { stored, read, make, reads } = log(2, 10);
  const hub = new EventHub(read, 5);
  hub.open('r', 0);
  const publish = (from: number, to: number) => {
    const batch = range(from, to).map(make);
    stored.push(...batch);
    hub.publish('r', batch);
  };
  publish(1, 40);
  // A watcher whose file read began at 40 events; the last ten arrive and the run settles meanwhile.
  const slow = receiver();
  const watch = hub.watch('r', 0, slow.send);
  publish(41, 50);
  hub.settle('r');
  assert.equal(hub.held, 0);
  await watch.ready;
  hub.flush();
  assert.deepEqual(slow.got, range(1, 50));
  assert.deepEqual(reads, [0, 40], 'read the rest from the file');

  const late = receiver();
  await hub.watch('r', 30, late.send).ready;
  assert.deepEqual(late.got, range(31, 50));
  // Resumed: live again, and the window refills until the next settle.
  publish(51, 55);
  hub.flush();
  assert.deepEqual(late.got, range(31, 55));
  assert.equal(hub.held, 5);
  hub.close();
});
