// Muon against Keller Jordan's reference run in PyTorch (fixtures/muon.json, from make_muon.py):
// params and state after every step, a checkpoint round-trip, its grouping, state slots and checks.
import '../node/tfjs'; // tfjs-core with its gradients, as Node sets it up
import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { optimizer as optimizerNode } from '../nodes/optimizer';
import fixtures from './fixtures/muon.json' with { type: 'json' };
import { isHiddenMatrix, muonScale } from './kinds/muon';
import { optimizerFromSettings, type Optimizer, type OptimizerSettings } from './optimizers';
import { newtonSchulz5 } from './updates/muon';

interface FixtureStep {
  lr: number;
  grads: Record<string, number[]>;
  params: Record<string, number[]>;
  state: Record<string, number | number[]>;
}
interface FixtureCase {
  name: string;
  settings: OptimizerSettings;
  params: Record<string, { shape: number[]; values: number[] }>;
  steps: FixtureStep[];
}
const cases = fixtures.cases as unknown as FixtureCase[];

// float32 on both sides; Newton–Schulz's matmuls round in a different order.
const REL = 1e-5;
const ABS = 1e-6;

function assertClose(actual: ArrayLike<number>, expected: number[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    assert.ok(err <= ABS + REL * Math.abs(expected[i]), `${what}[${i}]: got ${actual[i]}, torch ${expected[i]}`);
  }
}

const makeParams = (c: FixtureCase, values?: Record<string, ArrayLike<number>>) =>
  new Map(Object.entries(c.params).map(([name, { shape, values: init }]) => [name, tf.variable(tf.tensor(Array.from(values?.[name] ?? init), shape))]));

const dispose = (m: Map<string, tf.Tensor>) => m.forEach((t) => t.dispose());

/** The optimizer of a case, from settings parsed as the node would (so the fixture's are valid node params). */
const muonFor = (c: FixtureCase, params: Map<string, tf.Variable>) => optimizerFromSettings(params, optimizerNode.params.parse(c.settings));

function runSteps(c: FixtureCase, opt: Optimizer, from: number, to: number): void {
  for (let i = from; i < to; i++) {
    const grads = new Map(Object.entries(c.steps[i].grads).map(([name, g]) => [name, tf.tensor(g, c.params[name].shape)]));
    opt.step(grads, c.steps[i].lr);
    dispose(grads);
  }
}

function checkAgainstTorch(c: FixtureCase, params: Map<string, tf.Variable>, opt: Optimizer, i: number): void {
  for (const [name, p] of params) assertClose(p.dataSync(), c.steps[i].params[name], `${c.name} step ${i} param ${name}`);
  const state = opt.getState();
  assert.deepEqual([...state.keys()].sort(), ['optim.step', ...Object.keys(c.steps[i].state)].sort(), `${c.name}: state names`);
  for (const [key, want] of Object.entries(c.steps[i].state)) {
    const got = state.get(key)!.dataSync();
    if (typeof want === 'number') assert.equal(got[0], want, `${c.name} step ${i} ${key}`);
    else assertClose(got, want, `${c.name} step ${i} ${key}`);
  }
  dispose(state);
}

for (const c of cases) {
  test(`${c.name} matches Keller Jordan's Muon in torch after every step`, () => {
    const params = makeParams(c);
    const opt = muonFor(c, params);
    for (let i = 0; i < c.steps.length; i++) {
      runSteps(c, opt, i, i + 1);
      checkAgainstTorch(c, params, opt, i);
    }
    opt.dispose();
    dispose(params);
  });

  test(`${c.name}: getState/setState mid-run continues exactly like an uninterrupted run`, () => {
    const straight = makeParams(c);
    const optA = muonFor(c, straight);
    runSteps(c, optA, 0, 2);
    const saved = optA.getState();
    const savedParams = Object.fromEntries([...straight].map(([n, p]) => [n, p.dataSync().slice()]));
    runSteps(c, optA, 2, c.steps.length);
    const resumed = makeParams(c, savedParams);
    const optB = muonFor(c, resumed);
    optB.setState(saved);
    dispose(saved);
    runSteps(c, optB, 2, c.steps.length);
    for (const [name, p] of resumed) assert.deepEqual(p.dataSync(), straight.get(name)!.dataSync(), `${c.name} ${name}`);
    for (const opt of [optA, optB]) opt.dispose();
    dispose(straight);
    dispose(resumed);
  });
}

test('Muon takes the 2-D hidden matrices; embeddings, the head and 1-D params go to AdamW', () => {
  assert.equal(isHiddenMatrix({ name: 'blocks.3.attn.wq', shape: [8, 8] }), true);
  assert.equal(isHiddenMatrix({ name: 'blocks.0.ffn.w2', shape: [32, 8] }), true);
  for (const name of ['wte', 'wpe', 'lm_head', 'model.wte']) assert.equal(isHiddenMatrix({ name, shape: [8, 16] }), false, name);
  assert.equal(isHiddenMatrix({ name: 'blocks.0.norm1.weight', shape: [8] }), false);
  // √max(1, fan_out / fan_in) on the engine's [in, out] layout
  assert.equal(muonScale([8, 32]), 2);
  assert.equal(muonScale([32, 8]), 1);
});

test('weight decay: weight_decay on hidden matrices, adam_weight_decay on the rest by the rank rule', () => {
  const c = cases[0];
  const params = makeParams(c);
  const decayed = (over: Partial<Record<string, unknown>>) => {
    const opt = muonFor({ ...c, settings: { ...c.settings, ...over } }, params);
    const names = [...params.keys()].filter((n) => opt.decayed(n));
    opt.dispose();
    return names;
  };
  const hidden = ['blocks.0.attn.wq', 'blocks.0.ffn.w1', 'blocks.0.ffn.w2'];
  assert.deepEqual(decayed({ weight_decay: 0.1, adam_weight_decay: 0 }), hidden);
  assert.deepEqual(decayed({ weight_decay: 0, adam_weight_decay: 0.1 }), ['wte', 'lm_head']);
  assert.deepEqual(decayed({ weight_decay: 0, adam_weight_decay: 0.1, decay_norms_and_biases: true }), ['wte', 'blocks.0.norm1.weight', 'lm_head']);
  dispose(params);
});

test('Newton–Schulz pushes every singular value towards 1 and keeps the orientation', () => {
  const G = tf.tensor2d([
    [3, 1, 0],
    [0, 0.5, 0.2],
  ]); // [2, 3]: wide
  const O = newtonSchulz5(G, 5);
  assert.deepEqual(O.shape, [2, 3]);
  // O Oᵀ ≈ I: the quintic's fixed points lie in about [0.7, 1.2] (it trades exactness for speed)
  const gram = O.matMul(O, false, true).dataSync();
  for (const i of [0, 3]) assert.ok(gram[i] > 0.5 && gram[i] < 1.45, `diagonal ${gram[i]}`);
  assert.ok(Math.abs(gram[1]) < 0.35, `off-diagonal ${gram[1]}`);
  const tall = newtonSchulz5(G.transpose(), 5);
  assertClose(tall.dataSync(), Array.from(O.transpose().dataSync()), 'the transpose of a tall matrix');
  tf.dispose([G, O, tall]);
});

test('tensor count stays flat over 10 steps', () => {
  const c = cases[0];
  const params = makeParams(c);
  const opt = muonFor(c, params);
  runSteps(c, opt, 0, 1);
  const after = tf.memory().numTensors;
  for (let i = 0; i < 10; i++) runSteps(c, opt, i % c.steps.length, (i % c.steps.length) + 1);
  assert.equal(tf.memory().numTensors, after);
  opt.dispose();
  dispose(params);
});

test('bad settings are refused naming the field', () => {
  const c = cases[0];
  const params = makeParams(c);
  const base = optimizerNode.params.parse(c.settings);
  assert.throws(() => optimizerFromSettings(params, { ...base, ns_steps: 0 }), /optimizer muon: ns_steps must be an integer >= 1/);
  assert.throws(() => optimizerFromSettings(params, { ...base, muon_momentum: 1 }), /optimizer muon: muon_momentum must be in \[0, 1\)/);
  assert.throws(() => optimizerFromSettings(params, { ...base, lr: 0 }), /optimizer muon: lr must be > 0/);
  assert.throws(() => optimizerFromSettings(params, { ...base, adam_weight_decay: -1 }), /adam_weight_decay/);
  assert.equal(optimizerNode.params.safeParse({ kind: 'muon', ns_steps: 2.5 }).success, false);
  dispose(params);
});
