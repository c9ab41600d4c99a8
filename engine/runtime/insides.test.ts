// The inside view in a training run: model/insides comes at step 1 and every inspect_every steps
// (never with 0), after the step's eval/sample/checkpoint events and before its metrics; a live
// edit of inspect_every changes the cadence from the next step; with micro-batches its gradient
// norms are those the optimizer gets (their root-sum-square is clip's pre-clip norm) and its
// activations those of the step's first micro-batch.
import '../node/tfjs'; // tfjs-core with its gradients, as Node sets it up
import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, test } from 'node:test';
import { compile } from '../compiler/compile';
import { encodeNpy } from '../data/npy';
import { collectEvents, type InsidesData, type RunEvent } from '../events';
import { insideOwner, insidesDue, paramGroups } from '../model-graph/insides';
import type { Plan } from '../plan';
import { Rng } from '../random';
import { useBackend } from '../tf/backend';
import { checkEdit } from './edits';
import { gradNorms, insidesData } from './insides';
import { memoryIO } from './memory-io';
import { runPlan, type RunControl } from './run';
import type { PendingEdit } from './run-edits';

const smoke = JSON.parse(readFileSync(new URL('../../pipelines/smoke.json', import.meta.url), 'utf8'));

function syntheticIds(n: number, seed: number): Uint16Array {
  const rng = new Rng(seed);
  const ids = new Uint16Array(n);
  for (let i = 1; i < n; i++) ids[i] = rng.uniform() < 0.9 ? (ids[i - 1] * 5 + 3) % 32 : rng.index(32);
  return ids;
}
const data = () => ({ train: encodeNpy(syntheticIds(20_000, 1)), valid: encodeNpy(syntheticIds(4_000, 2)) });

function smokePlan(steps: number, params: Record<string, Record<string, unknown>> = {}): Plan {
  const doc = structuredClone(smoke);
  const set = (id: string, p: Record<string, unknown>) => Object.assign(doc.nodes.find((n: any) => n.id === id).params, p);
  doc.training.steps = steps;
  set('dataset', { source: 'files' });
  set('model', { vocab_size: 32 });
  set('sample', { prompt: '', every: 1000 });
  for (const [id, p] of Object.entries(params)) set(id, p);
  const result = compile(doc);
  assert.ok(result.ok, JSON.stringify(!result.ok && result.diagnostics));
  return result.plan;
}

/** The model/insides events of a run, by step. */
const insidesOf = (events: RunEvent[]) => new Map(events.flatMap((e) => (e.type === 'model/insides' ? [[e.step, e.data] as [number, InsidesData]] : [])));

async function train(plan: Plan, control?: RunControl): Promise<RunEvent[]> {
  const sink = collectEvents();
  const result = await runPlan({ plan, io: memoryIO(data()), sink, backendName: backend, control });
  assert.equal(result.status, 'completed', JSON.stringify(result.error));
  return sink.events;
}

let backend = '';
before(async () => {
  backend = await useBackend('wasm');
});

test('due at step 1 and every inspect_every steps; never when 0', () => {
  assert.deepEqual(
    Array.from({ length: 12 }, (_, i) => i + 1).filter((k) => insidesDue(k, 5)),
    [1, 5, 10],
  );
  assert.deepEqual(
    Array.from({ length: 4 }, (_, i) => i + 1).filter((k) => insidesDue(k, 1)),
    [1, 2, 3, 4],
  );
  assert.equal(insidesDue(1, 0), false);
  assert.deepEqual(insideOwner('blocks.12.attn.k_norm.weight'), { innerId: 'attn', layer: 12 });
  assert.deepEqual(insideOwner('wpe'), { innerId: 'wpe' });
  assert.deepEqual(
    [...paramGroups(['wte', 'blocks.1.ffn.w1', 'blocks.0.ffn.w1', 'blocks.0.ffn.w2', 'norm_f.weight'], 2)],
    [
      ['wte', [['wte']]],
      ['ffn', [['blocks.0.ffn.w1', 'blocks.0.ffn.w2'], ['blocks.1.ffn.w1']]],
      ['norm_f', [['norm_f.weight']]],
    ],
  );
});

test('inspect_every: older model params read as the default 20; a bad value is an error on model.inspect_every', () => {
  const migrated = compile(structuredClone(smoke)); // its model node is params version 1
  assert.ok(migrated.ok);
  const model = migrated.plan.pipeline.nodes.find((n) => n.id === 'model')!;
  assert.deepEqual([model.version, model.params.inspect_every], [3, 20]);
  for (const bad of [-1, 2.5, '20']) {
    const doc = structuredClone(smoke);
    doc.nodes.find((n: any) => n.id === 'model').params.inspect_every = bad;
    const result = compile(doc);
    assert.ok(!result.ok);
    assert.ok(
      result.diagnostics.some((d) => d.nodeId === 'model' && d.field === 'inspect_every' && d.severity === 'error'),
      JSON.stringify(result.diagnostics),
    );
  }
});

test('the event data: one entry per layer or one per model-level node, non-finite as null, no norm without every gradient', async () => {
  const grads = new Map([
    ['wte', tf.tensor([3, 4])],
    ['blocks.0.attn.wq', tf.tensor([1, 2])],
    ['blocks.0.attn.wo', tf.tensor([2])],
    ['blocks.1.attn.wq', tf.tensor([0])],
    ['blocks.1.attn.wo', tf.tensor([Infinity])],
    ['blocks.0.ffn.w1', tf.tensor([1])], // blocks.1.ffn.w1 has no gradient (a skipped update would have none at all)
  ]);
  const names = ['wte', 'blocks.0.attn.wq', 'blocks.0.attn.wo', 'blocks.0.ffn.w1', 'blocks.1.attn.wq', 'blocks.1.attn.wo', 'blocks.1.ffn.w1'];
  const norms = await gradNorms(grads, names, 2);
  tf.dispose([...grads.values()]);
  assert.deepEqual(
    [...norms],
    [
      ['wte', [5]],
      ['attn', [3, Infinity]],
    ],
  );
  const data = insidesData(
    2,
    [
      { innerId: 'lm_head', stat: 'act_rms', value: 2 },
      { innerId: 'attn', layer: 1, stat: 'attn_entropy', value: NaN },
      { innerId: 'attn', layer: 0, stat: 'attn_entropy', value: 1.5 },
      { innerId: 'res1', layer: 0, stat: 'act_rms', value: 0.5 },
    ],
    norms,
  );
  assert.deepEqual(data, {
    layers: 2,
    blocks: {
      wte: { grad_norm: [5] },
      attn: { attn_entropy: [1.5, null], grad_norm: [3, null] },
      res1: { act_rms: [0.5, null] },
      lm_head: { act_rms: [2] },
    },
  });
});

test('a run emits model/insides at steps 1, k, 2k, in its place among the step events, with every inner node', async () => {
  const before = tf.memory().numTensors;
  const events = await train(smokePlan(7, { model: { inspect_every: 3 }, checkpoint: { every: 3, keep_last: 5 }, eval: { every: 3 } }));
  assert.equal(tf.memory().numTensors, before, 'no tensor is left behind');
  const insides = insidesOf(events);
  assert.deepEqual([...insides.keys()], [1, 3, 6]);
  for (const step of insides.keys()) {
    const at = (type: string) => events.findIndex((e) => e.type === type && e.step === step && !(e.type === 'node/metrics' && step === 0));
    const index = at('model/insides');
    assert.equal(events[index].type === 'model/insides' && events[index].nodeId, 'model');
    if (step !== 1) for (const type of ['eval', 'checkpoint/saved']) assert.ok(at(type) >= 0 && at(type) < index, `${type} before insides at ${step}`);
    assert.ok(index < at('node/metrics') && index < at('step'), `insides before the metrics and the step event at ${step}`);
  }
  // The smoke model: one layer, RoPE (no wpe), learnable RMSNorms, a tied head.
  const data = insides.get(3)!;
  assert.equal(data.layers, 1);
  assert.deepEqual(Object.keys(data.blocks), ['wte', 'norm1', 'attn', 'res1', 'norm2', 'ffn', 'res2', 'norm_f', 'lm_head']);
  for (const [id, numbers] of Object.entries(data.blocks)) {
    const stats = Object.keys(numbers).sort();
    const expected = ['res1', 'res2', 'lm_head'].includes(id)
      ? ['act_rms']
      : id === 'attn'
        ? ['act_rms', 'attn_entropy', 'grad_norm']
        : ['act_rms', 'grad_norm'];
    assert.deepEqual(stats, expected, id);
    for (const values of Object.values(numbers)) {
      assert.equal(values.length, 1);
      assert.ok(typeof values[0] === 'number' && values[0] > 0, `${id}: ${values}`);
    }
  }
  // Causal attention over 16 positions: entropy between 0 and the mean of ln(1..16).
  const entropy = data.blocks.attn.attn_entropy![0]!;
  const uniform = Array.from({ length: 16 }, (_, i) => Math.log(i + 1)).reduce((a, b) => a + b) / 16;
  assert.ok(entropy > 0 && entropy <= uniform + 1e-6, `entropy ${entropy} <= ${uniform}`);
});

test('inspect_every 0 turns the inside view off', async () => {
  const events = await train(smokePlan(3, { model: { inspect_every: 0 } }));
  assert.equal(insidesOf(events).size, 0);
});

test('a live edit of inspect_every changes the cadence from the next step; a negative one is refused on its field', async () => {
  const plan = smokePlan(8, { model: { inspect_every: 3 } });
  const refused = checkEdit(plan, { nodeId: 'model', params: { inspect_every: -1 } }, 3);
  assert.ok('status' in refused);
  assert.deepEqual([refused.status, refused.errors[0].nodeId, refused.errors[0].field], [400, 'model', 'inspect_every']);
  const queue: PendingEdit[] = [];
  const outcomes: unknown[] = [];
  const sink = collectEvents();
  const emit = sink.emit;
  sink.emit = (event) => {
    emit(event);
    if (event.type === 'step' && event.step === 3) queue.push({ nodeId: 'model', params: { inspect_every: 2 }, settle: (o) => void outcomes.push(o) });
  };
  const control: RunControl = { stopRequested: false, waitWhilePaused: async () => {}, takeEdits: () => queue.splice(0) };
  await runPlan({ plan, io: memoryIO(data()), sink, backendName: backend, control });
  assert.deepEqual(outcomes, [{ appliedAtStep: 3 }]);
  assert.deepEqual([...insidesOf(sink.events).keys()], [1, 3, 4, 6, 8]);
});

test('with micro-batches: gradient norms are those the optimizer gets, activations those of the first micro-batch', async () => {
  const accumulated = await train(smokePlan(1, { model: { inspect_every: 5 }, backward: { grad_accum_steps: 3 } }));
  const single = await train(smokePlan(1, { model: { inspect_every: 5 } }));
  const [a, s] = [insidesOf(accumulated).get(1)!, insidesOf(single).get(1)!];
  const clipNorm = (events: RunEvent[]) =>
    events.flatMap((e) => (e.type === 'node/metrics' && e.nodeId === 'clip' && e.step === 1 ? [e.data.grad_norm] : []))[0];
  for (const [insides, events] of [
    [a, accumulated],
    [s, single],
  ] as const) {
    // The nodes' gradients partition the parameters: their norms add up (in squares) to clip's global norm.
    const squares = Object.values(insides.blocks).reduce((sum, n) => sum + (n.grad_norm ?? []).reduce<number>((t, v) => t + (v ?? 0) ** 2, 0), 0);
    const global = clipNorm(events);
    assert.ok(Math.abs(Math.sqrt(squares) - global) <= 1e-4 * global, `${Math.sqrt(squares)} vs clip's ${global}`);
  }
  assert.notEqual(a.blocks.wte.grad_norm![0], s.blocks.wte.grad_norm![0], 'three micro-batches give other gradients');
  for (const id of Object.keys(s.blocks)) {
    assert.deepEqual(a.blocks[id].act_rms, s.blocks[id].act_rms, `${id}: the first micro-batch is the same batch`);
  }
});
