// The runs slice: batches for several runs in one update, statuses that only move forward, the
// executor falling back to node when the server has no torch, the executor select's entries.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunStatus, WireEvent } from './run-stream';
import { createRunsStore, executorOptions } from './runs-store';

const status = (id: string, patch: Partial<RunStatus> = {}): RunStatus => ({
  id,
  name: 'smoke',
  state: 'running',
  executor: 'node',
  backend: 'wasm',
  step: 0,
  totalSteps: 10,
  metrics: {},
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:01.000Z',
  lastSeq: 0,
  ...patch,
});
const stepEvent = (runId: string, seq: number, step: number): WireEvent =>
  ({ runId, seq, type: 'step', step, data: { loss: 5 - step / 10, tokens_per_sec: 1, step_ms: 1, elapsed_s: step } }) as WireEvent;

test('batches of several runs apply in one update; unchanged runs keep their identity', () => {
  const store = createRunsStore();
  let updates = 0;
  store.subscribe(() => updates++);
  store.getState().applyBatches([
    { runId: 'a', events: [stepEvent('a', 1, 1), stepEvent('a', 2, 2)] },
    { runId: 'b', events: [stepEvent('b', 1, 1)] },
    { runId: 'a', events: [stepEvent('a', 2, 2), stepEvent('a', 3, 3)] },
  ]);
  assert.equal(updates, 1);
  assert.deepEqual(store.getState().runs.a.charts.step, [1, 2, 3]);
  assert.deepEqual(store.getState().runs.b.charts.step, [1]);
  const b = store.getState().runs.b;
  store.getState().applyBatches([
    { runId: 'a', events: [stepEvent('a', 4, 4)] },
    { runId: 'b', events: [stepEvent('b', 1, 1)] },
  ]);
  assert.equal(store.getState().runs.b, b, 'a duplicate-only batch changes nothing');
  assert.equal(updates, 2);
});

test('statuses: the list and broadcasts keep the newest; a watched run gets it too', () => {
  const store = createRunsStore();
  store.getState().resetRun('a');
  store.getState().applyStatus(status('a', { step: 5, updatedAt: '2026-01-01T00:00:05.000Z', lastSeq: 50 }));
  store.getState().setList([status('a', { step: 2, updatedAt: '2026-01-01T00:00:02.000Z', lastSeq: 20 }), status('b')]);
  assert.equal(store.getState().statuses.a.step, 5, 'an older listing does not overwrite a newer broadcast');
  assert.equal(store.getState().runs.a.status?.step, 5);
  assert.equal(store.getState().statuses.b.state, 'running');
  assert.equal(store.getState().listed, true);
  store.getState().applyStatus(status('a', { state: 'completed', step: 10, updatedAt: '2026-01-01T00:00:09.000Z', lastSeq: 90 }));
  assert.equal(store.getState().runs.a.status?.state, 'completed');
});

test('the torch executor falls back to node when the server cannot run it', () => {
  const store = createRunsStore();
  store.getState().setExecutors({ node: { available: true }, torch: { available: true, device: 'cpu' } });
  store.getState().setExecutor('torch');
  store.getState().setExecutors({ node: { available: true }, torch: { available: false, error: 'no torch' } });
  assert.equal(store.getState().executor, 'node');
  store.getState().setExecutor('torch');
  store.getState().setExecutors(null); // an older server without GET /api/executors
  assert.equal(store.getState().executor, 'node');
});

test('the executor select offers node and browser always, torch while the server reports it, labelled with its device', () => {
  const names = (info: Parameters<typeof executorOptions>[0]) => executorOptions(info).map((o) => `${o.name}: ${o.label}`);
  assert.deepEqual(names(null), ['node: Node (server)', 'browser: Browser (this tab)']);
  assert.deepEqual(names({ node: { available: true }, torch: { available: false, error: 'no torch' } }), [
    'node: Node (server)',
    'browser: Browser (this tab)',
  ]);
  assert.deepEqual(names({ node: { available: true }, torch: { available: true, device: 'cuda' } }), [
    'node: Node (server)',
    'torch: Torch · cuda',
    'browser: Browser (this tab)',
  ]);
  assert.deepEqual(names({ node: { available: true }, torch: { available: true } }).at(1), 'torch: Torch · auto');
});

test('a browser executor stays chosen whatever the server reports', () => {
  const store = createRunsStore();
  store.getState().setExecutor('browser');
  store.getState().setExecutors(null);
  assert.equal(store.getState().executor, 'browser');
  store.getState().setExecutors({ node: { available: true }, torch: { available: false } });
  assert.equal(store.getState().executor, 'browser');
});
