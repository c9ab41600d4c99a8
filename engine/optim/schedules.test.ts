// Schedules against fixtures/schedules.json: formula values that make_optim_fixtures.py checked
// against torch.optim.lr_scheduler (LinearLR, StepLR, CosineAnnealingLR, ConstantLR, SequentialLR).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fixtures from './fixtures/schedules.json' with { type: 'json' };
import { lrAt, type ScheduleConfig } from './schedules';

interface FixtureCase {
  name: string;
  config: ScheduleConfig;
  points: [step: number, lr: number][];
}
const cases = fixtures.cases as unknown as FixtureCase[];

// Both sides are float64 with the same formula; only Math.cos / ** may differ in the last ulp.
const close = (a: number, b: number) => Math.abs(a - b) <= 1e-12 * Math.abs(b) + 1e-18;

for (const c of cases) {
  test(`${c.name}: lrAt matches the torch-checked values`, () => {
    for (const [step, want] of c.points) {
      const got = lrAt(step, c.config);
      assert.ok(close(got, want), `${c.name} step ${step}: got ${got}, expected ${want}`);
    }
  });
}

test('the fixture covers every kind, with and without warmup', () => {
  const seen = new Set(cases.map((c) => `${c.config.kind}/${c.config.warmupSteps > 0}`));
  for (const kind of ['constant', 'linear', 'step', 'cosine', 'wsd']) {
    assert.ok(seen.has(`${kind}/true`) && seen.has(`${kind}/false`), kind);
  }
});

const cosine: ScheduleConfig = { kind: 'cosine', lr: 6e-4, minLr: 6e-5, warmupSteps: 10, totalSteps: 100, stepSize: 0, gamma: 1, decayFraction: 0 };

test('warmup is lr * (step + 1) / warmupSteps and reaches lr at warmupSteps - 1', () => {
  assert.ok(close(lrAt(0, cosine), 6e-5));
  assert.ok(close(lrAt(4, cosine), 3e-4));
  assert.equal(lrAt(9, cosine), 6e-4);
  assert.equal(lrAt(10, cosine), 6e-4); // cosine starts at the peak
  assert.ok(close(lrAt(55, cosine), 3.3e-4));
  assert.equal(lrAt(100, cosine), 6e-5);
  assert.equal(lrAt(10_000, cosine), 6e-5);
});

test('decaying kinds with totalSteps <= warmupSteps go straight to minLr after warmup', () => {
  for (const kind of ['linear', 'cosine', 'wsd'] as const) {
    const c = { ...cosine, kind, totalSteps: 5, decayFraction: 0.5 };
    assert.ok(close(lrAt(9, c), 6e-4), kind);
    assert.equal(lrAt(10, c), 6e-5, kind);
  }
});

test('bad steps and step sizes throw', () => {
  assert.throws(() => lrAt(-1, cosine), RangeError);
  assert.throws(() => lrAt(1.5, cosine), RangeError);
  assert.throws(() => lrAt(20, { ...cosine, kind: 'step', stepSize: 0 }), /stepSize/);
});
