import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunStatus } from './run-stream';
import { groupSweeps, matchesFilter, NO_FILTER, sweepAxesLabel, sweepLabel } from './runs-list';

const run = (id: string, extra: Partial<RunStatus> = {}): RunStatus => ({
  id,
  name: 'Seed',
  state: 'completed',
  executor: 'node',
  backend: 'wasm',
  step: 1,
  totalSteps: 1,
  metrics: {},
  createdAt: '',
  updatedAt: '',
  lastSeq: 1,
  ...extra,
});

test("a sweep's points stay together under one header, in grid order, where its newest point is", () => {
  const s = (v: number) => ({ sweep: { id: 'sw1', values: { 'scheduler.lr': v } } });
  const newestFirst = [run('r5'), run('r4', s(0.01)), run('r3'), run('r2', s(0.003)), run('r1', s(0.001)), run('r0')];
  const rows = groupSweeps(newestFirst);
  assert.deepEqual(
    rows.map((r) => (r.kind === 'run' ? r.status.id : `sweep:${r.runs.map((x) => x.id).join(',')}`)),
    ['r5', 'sweep:r1,r2,r4', 'r3', 'r0'],
  );
  const group = rows[1] as Extract<(typeof rows)[number], { kind: 'sweep' }>;
  assert.equal(sweepAxesLabel(group.runs), 'scheduler.lr × 3');
  assert.equal(sweepLabel({ 'scheduler.lr': 0.003, 'training.seed': 2 }), 'scheduler.lr=0.003, training.seed=2');
});

test('filters: state (or any active one), executor, part of the name', () => {
  const a = run('a', { name: 'Seed: byte GPT', state: 'running', executor: 'torch' });
  assert.equal(matchesFilter(a, NO_FILTER), true);
  assert.equal(matchesFilter(a, { ...NO_FILTER, state: 'active' }), true);
  assert.equal(matchesFilter(a, { ...NO_FILTER, state: 'completed' }), false);
  assert.equal(matchesFilter(a, { ...NO_FILTER, state: 'completed' }, 'completed'), true, 'the state the page shows counts');
  assert.equal(matchesFilter(a, { ...NO_FILTER, executor: 'node' }), false);
  assert.equal(matchesFilter(a, { ...NO_FILTER, executor: 'torch', name: ' byte ' }), true);
  assert.equal(matchesFilter(a, { ...NO_FILTER, name: 'smoke' }), false);
});
