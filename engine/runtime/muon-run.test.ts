// A pipeline trained with the muon optimizer on the node executor's runtime: its loss falls, its
// settings take live edits between steps, and an edit that would change its state is refused.
import '../node/tfjs'; // tfjs-core with its gradients, as Node sets it up
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, test } from 'node:test';
import { compile } from '../compiler/compile';
import { encodeNpy } from '../data/npy';
import { collectEvents, type RunEvent } from '../events';
import type { Plan } from '../plan';
import { Rng } from '../random';
import { useBackend } from '../tf/backend';
import type { EditRequest } from './edits';
import { memoryIO } from './memory-io';
import { runPlan, type RunControl } from './run';
import type { EditOutcome } from './run-edits';

const smoke = JSON.parse(readFileSync(new URL('../../pipelines/smoke.json', import.meta.url), 'utf8'));

/** A noisy cycle over 32 ids: learnable in a few dozen steps, far from uniform. */
function syntheticIds(n: number, seed: number): Uint16Array {
  const rng = new Rng(seed);
  const ids = new Uint16Array(n);
  for (let i = 1; i < n; i++) ids[i] = rng.uniform() < 0.9 ? (ids[i - 1] * 5 + 3) % 32 : rng.index(32);
  return ids;
}
const data = () => memoryIO({ train: encodeNpy(syntheticIds(20_000, 1)), valid: encodeNpy(syntheticIds(4_000, 2)) });

/** The smoke pipeline on 32 ids with muon; the scheduler's lr equals the optimizer's, so it peaks at muon_lr, adam_lr. */
function muonPlan(steps: number, optimizer: Record<string, unknown> = {}): Plan {
  const doc = structuredClone(smoke);
  const set = (id: string, params: Record<string, unknown>) => Object.assign(doc.nodes.find((n: any) => n.id === id).params, params);
  doc.training.steps = steps;
  set('dataset', { source: 'files' });
  set('model', { vocab_size: 32 });
  set('sample', { prompt: '', every: 1000 });
  set('scheduler', { lr: 0.01, min_lr: 0.001, warmup_steps: 2 });
  set('optimizer', { kind: 'muon', lr: 0.01, muon_lr: 0.02, adam_lr: 0.01, ...optimizer });
  const result = compile(doc);
  assert.ok(result.ok, JSON.stringify(!result.ok && result.diagnostics));
  return result.plan;
}

/** Runs a plan, queueing `edits[step]` once `step` steps are done (as the server's worker would). */
async function train(plan: Plan, edits: Record<number, EditRequest[]> = {}) {
  const outcomes: EditOutcome[] = [];
  const queue: { nodeId: string; params: Record<string, unknown>; settle: (o: EditOutcome) => void }[] = [];
  const sink = collectEvents();
  const emit = sink.emit;
  sink.emit = (event: RunEvent) => {
    emit(event);
    if (event.type === 'step') for (const request of edits[event.step] ?? []) queue.push({ ...request, settle: (o) => void outcomes.push(o) });
  };
  const control: RunControl = { stopRequested: false, waitWhilePaused: async () => {}, takeEdits: () => queue.splice(0) };
  const result = await runPlan({ plan, io: data(), sink, backendName: 'wasm', control });
  const losses = sink.events.flatMap((e) => (e.type === 'step' && typeof e.data.loss === 'number' ? [e.data.loss] : []));
  return { result, losses, outcomes };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

before(async () => {
  await useBackend('wasm');
});

test("with a scheduler, muon needs its lr equal to the schedule's (which scales muon_lr and adam_lr): an error on optimizer.lr", () => {
  const doc = structuredClone(smoke);
  Object.assign(doc.nodes.find((n: any) => n.id === 'optimizer').params, { kind: 'muon', lr: 0.001 });
  const result = compile(doc);
  assert.equal(result.ok, false);
  const problems = result.diagnostics.filter((d) => d.nodeId === 'optimizer');
  assert.deepEqual(
    problems.map((d) => [d.field, d.message]),
    [['lr', "must equal the scheduler's lr (0.01) for muon, whose two learning rates the schedule scales by its lr ÷ this lr"]],
  );
  Object.assign(doc.nodes.find((n: any) => n.id === 'optimizer').params, { lr: 0.01 });
  assert.equal(compile(doc).ok, true);
});

test('muon trains: the loss falls', async () => {
  const { result, losses } = await train(muonPlan(30));
  assert.equal(result.status, 'completed');
  assert.equal(losses.length, 30);
  const [first, last] = [mean(losses.slice(0, 3)), mean(losses.slice(-3))];
  assert.ok(last < first - 0.8, `loss ${first.toFixed(3)} -> ${last.toFixed(3)}`);
});

test('muon settings are edited live: the run follows the unedited one up to the edit, then departs', async () => {
  const plain = await train(muonPlan(8));
  const edited = await train(muonPlan(8), { 3: [{ nodeId: 'optimizer', params: { muon_lr: 0.002, adam_weight_decay: 0.1, ns_steps: 3 } }] });
  assert.deepEqual(
    edited.outcomes.map((o) => ('status' in o ? o.status : o.appliedAtStep)),
    [3],
  );
  assert.deepEqual(edited.losses.slice(0, 4), plain.losses.slice(0, 4), 'the step after the edit used the weights before it');
  assert.notEqual(edited.losses[5], plain.losses[5]);
});

test('an sgd edit that would create or drop its momentum buffer is refused, naming the field', async () => {
  const doc = muonPlan(4, { kind: 'sgd', momentum: 0.9 });
  const { outcomes } = await train(doc, { 2: [{ nodeId: 'optimizer', params: { momentum: 0 } }] });
  assert.equal(outcomes.length, 1);
  const outcome = outcomes[0] as { status: number; error: string };
  assert.equal(outcome.status, 409);
  assert.match(outcome.error, /momentum cannot change so while sgd trains/);
});
