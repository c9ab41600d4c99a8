// Optimizers against torch.optim numbers (fixtures/optimizers.json, from make_optim_fixtures.py),
// plus checkpoint round-trips, tensor-leak checks and the weight-decay grouping.
import '../node/tfjs'; // tfjs-core with its gradients, as Node sets it up
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import fixtures from './fixtures/optimizers.json' with { type: 'json' };
import { createOptimizer, type Optimizer, type OptimizerConfig } from './optimizers';

interface FixtureStep {
  lr: number;
  grads: Record<string, number[]>; // a param absent here gets no gradient this step
  params: Record<string, number[]>; // after the step
  state: Record<string, number | number[]>; // 'optim.step.<name>' counts and slot tensors, after the step
}
interface FixtureCase {
  name: string;
  config: OptimizerConfig;
  params: Record<string, { shape: number[]; values: number[] }>;
  steps: FixtureStep[];
}
const cases = fixtures.cases as unknown as FixtureCase[];
const byName = (name: string) => cases.find((c) => c.name === name)!;

// float32 on both sides; the ops differ in rounding order only.
const REL = 1e-5;
const ABS = 1e-6;

function assertClose(actual: ArrayLike<number>, expected: number[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    assert.ok(err <= ABS + REL * Math.abs(expected[i]), `${what}[${i}]: got ${actual[i]}, torch ${expected[i]}`);
  }
}

function makeParams(c: FixtureCase, values?: Record<string, ArrayLike<number>>): Map<string, tf.Variable> {
  const params = new Map<string, tf.Variable>();
  for (const [name, { shape, values: init }] of Object.entries(c.params)) {
    params.set(
      name,
      tf.tidy(() => tf.variable(tf.tensor(Array.from(values?.[name] ?? init), shape))),
    );
  }
  return params;
}

function makeGrads(c: FixtureCase, step: FixtureStep): Map<string, tf.Tensor> {
  return new Map(Object.entries(step.grads).map(([name, g]) => [name, tf.tensor(g, c.params[name].shape)]));
}

function disposeAll(m: Map<string, tf.Tensor>): void {
  for (const t of m.values()) t.dispose();
}

/** Runs fixture steps [from, to) on opt, disposing the grads after each step. */
function runSteps(c: FixtureCase, opt: Optimizer, from: number, to: number): void {
  for (let i = from; i < to; i++) {
    const grads = makeGrads(c, c.steps[i]);
    opt.step(grads, c.steps[i].lr);
    disposeAll(grads);
  }
}

function checkAgainstTorch(c: FixtureCase, params: Map<string, tf.Variable>, opt: Optimizer, i: number): void {
  const expected = c.steps[i];
  for (const [name, p] of params) assertClose(p.dataSync(), expected.params[name], `${c.name} step ${i} param ${name}`);
  const state = opt.getState();
  assert.deepEqual([...state.keys()].sort(), ['optim.step', ...Object.keys(expected.state)].sort(), `${c.name}: state names`);
  assert.equal(state.get('optim.step')!.dataSync()[0], i + 1);
  for (const [key, want] of Object.entries(expected.state)) {
    const got = state.get(key)!.dataSync();
    if (typeof want === 'number') assert.equal(got[0], want, `${c.name} step ${i} ${key}`);
    else assertClose(got, want, `${c.name} step ${i} ${key}`);
  }
  disposeAll(state);
}

for (const c of cases) {
  test(`${c.name} matches torch after every step`, () => {
    const params = makeParams(c);
    const opt = createOptimizer(params, c.config);
    for (let i = 0; i < c.steps.length; i++) {
      runSteps(c, opt, i, i + 1);
      assert.equal(opt.stepCount, i + 1);
      checkAgainstTorch(c, params, opt, i);
    }
    opt.dispose();
    disposeAll(params);
  });

  test(`${c.name}: getState/setState mid-run continues exactly like an uninterrupted run`, () => {
    const split = 2;
    const straight = makeParams(c);
    const optA = createOptimizer(straight, c.config);
    runSteps(c, optA, 0, split);
    const saved = optA.getState();
    const savedParams = Object.fromEntries([...straight].map(([n, p]) => [n, p.dataSync().slice()]));
    runSteps(c, optA, split, c.steps.length);

    // A fresh optimizer on fresh params, as after loading a checkpoint.
    const resumed = makeParams(c, savedParams);
    const optB = createOptimizer(resumed, c.config);
    optB.setState(saved);
    disposeAll(saved); // setState must not depend on the caller keeping the tensors alive
    assert.equal(optB.stepCount, split);
    runSteps(c, optB, split, c.steps.length);

    for (const [name, p] of resumed) assert.deepEqual(p.dataSync(), straight.get(name)!.dataSync(), `${c.name} ${name}`);
    checkAgainstTorch(c, resumed, optB, c.steps.length - 1);
    const [a, b] = [optA.getState(), optB.getState()];
    for (const [key, t] of a) assert.deepEqual(b.get(key)!.dataSync(), t.dataSync(), `${c.name} ${key}`);
    for (const m of [a, b, straight, resumed]) disposeAll(m);
    optA.dispose();
    optB.dispose();
  });
}

test('tensor count stays flat over 20 steps for every kind, and dispose frees the state', () => {
  const kinds = new Set<string>();
  for (const c of cases) {
    kinds.add(c.config.kind);
    const params = makeParams(c);
    const grads = c.steps.map((s) => makeGrads(c, s));
    const beforeCreate = tf.memory().numTensors;
    const opt = createOptimizer(params, c.config);
    opt.step(grads[0], c.steps[0].lr);
    const afterFirst = tf.memory().numTensors;
    for (let i = 1; i <= 20; i++) {
      opt.step(grads[i % grads.length], 1e-3);
      disposeAll(opt.getState());
      assert.equal(tf.memory().numTensors, afterFirst, `${c.name}: tensors after step ${i + 1}`);
    }
    opt.dispose();
    assert.equal(tf.memory().numTensors, beforeCreate, `${c.name}: tensors after dispose`);
    // The grads are the caller's: step must not have disposed them.
    for (const g of grads) for (const t of g.values()) assert.equal(t.isDisposed, false);
    grads.forEach(disposeAll);
    disposeAll(params);
  }
  assert.deepEqual([...kinds].sort(), ['adagrad', 'adam', 'adamw', 'lion', 'sgd']);
});

test('decayed(): matrices decay, rank < 2 params only with decayNormsAndBiases, nothing when weightDecay is 0', () => {
  const c = byName('adamw_wd_groups');
  const params = makeParams(c);
  const decayedSet = (config: OptimizerConfig) => {
    const opt = createOptimizer(params, config);
    const names = [...params.keys()].filter((n) => opt.decayed(n));
    opt.dispose();
    return names;
  };
  assert.deepEqual(decayedSet(c.config), ['wte', 'blocks.0.attn.wq']);
  assert.deepEqual(decayedSet({ ...c.config, decayNormsAndBiases: true }), ['wte', 'blocks.0.attn.wq', 'blocks.0.norm1.weight']);
  assert.deepEqual(decayedSet({ ...c.config, weightDecay: 0 }), []);
  assert.deepEqual(decayedSet({ ...byName('lion').config }), ['wte', 'blocks.0.attn.wq']);
  const opt = createOptimizer(params, c.config);
  assert.throws(() => opt.decayed('nope'), /nope/);
  opt.dispose();
  disposeAll(params);
});

test('getState returns copies: later steps and disposing them leave each other alone', () => {
  const c = byName('adamw_wd_groups');
  const params = makeParams(c);
  const opt = createOptimizer(params, c.config);
  runSteps(c, opt, 0, 1);
  const state = opt.getState();
  const m = state.get('optim.m.wte')!.dataSync().slice();
  runSteps(c, opt, 1, 2);
  assert.deepEqual(state.get('optim.m.wte')!.dataSync(), m, 'the copy moved with the optimizer');
  assert.notDeepEqual(Array.from(m), c.steps[1].state['optim.m.wte']);
  disposeAll(state);
  checkAgainstTorch(c, params, opt, 1);
  opt.dispose();
  disposeAll(params);
});

test('setState names the missing, mis-shaped or foreign tensor and changes nothing on error', () => {
  const adamw = byName('adamw_wd_groups');
  const params = makeParams(adamw);
  const opt = createOptimizer(params, adamw.config);
  runSteps(adamw, opt, 0, 1);
  const good = opt.getState();

  const without = new Map(good);
  without.delete('optim.v.blocks.0.attn.wq');
  assert.throws(() => opt.setState(without), /lacks optim\.v\.blocks\.0\.attn\.wq/);

  const misShaped = new Map(good);
  const wrong = tf.zeros([3, 5]);
  misShaped.set('optim.m.wte', wrong);
  assert.throws(() => opt.setState(misShaped), /optim\.m\.wte has shape \[3,5\], expected \[5,3\]/);

  // Lion keeps only m: the adamw state has an extra v per param.
  const lion = createOptimizer(params, byName('lion').config);
  assert.throws(() => lion.setState(good), /optim\.v\.wte/);
  lion.dispose();

  // SGD with momentum keeps 'momentum' slots: loading it into adamw reports the missing m.
  const sgdCase = byName('sgd_momentum');
  const sgd = createOptimizer(params, sgdCase.config);
  const sgdState = sgd.getState();
  assert.throws(() => opt.setState(sgdState), /lacks optim\.m\.wte/);
  sgd.dispose();

  // Nothing changed: the next step still matches torch, and stepCount is the real one.
  assert.equal(opt.stepCount, 1);
  runSteps(adamw, opt, 1, 2);
  checkAgainstTorch(adamw, params, opt, 1);

  // Non-optimizer entries of a whole checkpoint are ignored.
  const checkpoint = new Map<string, tf.Tensor>([...good, ['wte', tf.zeros([1])]]);
  opt.setState(checkpoint);
  assert.equal(opt.stepCount, 1);
  for (const m of [good, sgdState, params]) disposeAll(m);
  wrong.dispose();
  checkpoint.get('wte')!.dispose();
  opt.dispose();
});

test('step rejects grads for unknown params or of the wrong shape before touching anything', () => {
  const c = byName('adam');
  const params = makeParams(c);
  const opt = createOptimizer(params, c.config);
  const before = params.get('wte')!.dataSync().slice();
  const grads = makeGrads(c, c.steps[0]);
  const extra = tf.zeros([2]);
  assert.throws(() => opt.step(new Map([...grads, ['lm_head', extra]]), 0.1), /lm_head/);
  const bad = tf.zeros([3, 5]);
  assert.throws(() => opt.step(new Map([...grads, ['wte', bad]]), 0.1), /wte has shape \[3,5\], param has \[5,3\]/);
  assert.equal(opt.stepCount, 0);
  assert.deepEqual(params.get('wte')!.dataSync(), before);
  for (const t of [extra, bad]) t.dispose();
  disposeAll(grads);
  disposeAll(params);
  opt.dispose();
  assert.throws(() => opt.getState(), /after dispose/);
});

test('config checks follow torch: nesterov needs momentum and no dampening; betas in [0, 1)', () => {
  const params = new Map<string, tf.Variable>();
  const sgd = byName('sgd_plain').config;
  assert.throws(() => createOptimizer(params, { ...sgd, nesterov: true }), /nesterov/);
  assert.throws(() => createOptimizer(params, { ...sgd, nesterov: true, momentum: 0.9, dampening: 0.1 }), /nesterov/);
  assert.throws(() => createOptimizer(params, { ...byName('adam').config, beta2: 1 }), /beta2/);
  assert.throws(() => createOptimizer(params, { ...byName('adam').config, weightDecay: -1 }), /weightDecay/);
});
