// Live edits: which fields are hot, what is refused (400/409), an edit applied between steps
// changes the logged lr from the reported step on, and a resumed run replays the edit history so
// it equals the uninterrupted edited run exactly.
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
import { checkEdit, hotFields, type EditRequest } from './edits';
import { memoryIO } from './memory-io';
import { runPlan, type RunControl } from './run';
import type { EditOutcome, PendingEdit } from './run-edits';

const smoke = JSON.parse(readFileSync(new URL('../../pipelines/smoke.json', import.meta.url), 'utf8'));

function syntheticIds(n: number, seed: number): Uint16Array {
  const rng = new Rng(seed);
  const ids = new Uint16Array(n);
  for (let i = 1; i < n; i++) ids[i] = rng.uniform() < 0.9 ? (ids[i - 1] * 5 + 3) % 32 : rng.index(32);
  return ids;
}
const data = () => ({ train: encodeNpy(syntheticIds(20_000, 1)), valid: encodeNpy(syntheticIds(4_000, 2)) });

function smokePlan(steps = 20): Plan {
  const doc = structuredClone(smoke);
  const set = (id: string, params: Record<string, unknown>) => Object.assign(doc.nodes.find((n: any) => n.id === id).params, params);
  doc.training.steps = steps;
  set('dataset', { source: 'files' });
  set('model', { vocab_size: 32 });
  set('sample', { prompt: '', every: 1000 });
  set('checkpoint', { every: 5, keep_last: 10 });
  const result = compile(doc);
  assert.ok(result.ok);
  return result.plan;
}

/** A host that asks for `edits[step]` once `step` steps are done (as the server's worker would). */
function editingControl(edits: Record<number, EditRequest[]>, outcomes: EditOutcome[]): { control: RunControl; sink: ReturnType<typeof collectEvents> } {
  const queue: PendingEdit[] = [];
  const sink = collectEvents();
  const emit = sink.emit;
  sink.emit = (event: RunEvent) => {
    emit(event);
    if (event.type === 'step') for (const request of edits[event.step] ?? []) queue.push({ ...request, settle: (o) => void outcomes.push(o) });
  };
  return { sink, control: { stopRequested: false, waitWhilePaused: async () => {}, takeEdits: () => queue.splice(0) } };
}

const losses = (events: RunEvent[]) => events.flatMap((e) => (e.type === 'step' ? [[e.step, e.data.loss] as const] : []));
const lrs = (events: RunEvent[]) => new Map(events.flatMap((e) => (e.type === 'step' ? [[e.step, e.data.lr] as const] : [])));

let backend = '';
before(async () => {
  backend = await useBackend('wasm');
});

test('hot fields come from the node definitions; training.steps is one', () => {
  assert.ok(hotFields('optimizer').includes('lr'));
  assert.ok(!hotFields('optimizer').includes('kind'));
  assert.ok(hotFields('scheduler').includes('kind'));
  assert.deepEqual(hotFields('clip'), ['max_norm']);
  assert.deepEqual(hotFields('model'), ['inspect_every']);
  assert.deepEqual(hotFields('training'), ['steps']);
});

test('checkEdit refuses unknown nodes and fields (400), locked fields (409), values the schema or checks refuse (400)', () => {
  const plan = smokePlan();
  const refused = (request: EditRequest, stepsDone = 3) => {
    const result = checkEdit(plan, request, stepsDone);
    assert.ok('status' in result, `refused: ${JSON.stringify(request)}`);
    return result;
  };
  assert.deepEqual(refused({ nodeId: 'nope', params: { lr: 1 } }).errors[0].nodeId, 'nope');
  const unknownField = refused({ nodeId: 'optimizer', params: { learning_rate: 1 } });
  assert.equal(unknownField.status, 400);
  assert.equal(unknownField.errors[0].field, 'learning_rate');
  const locked = refused({ nodeId: 'model', params: { d_model: 64 } });
  assert.equal(locked.status, 409);
  assert.match(locked.errors[0].message, /fork/);
  assert.equal(refused({ nodeId: 'optimizer', params: { kind: 'sgd' } }).status, 409);
  const negative = refused({ nodeId: 'scheduler', params: { lr: -1 } });
  assert.equal(negative.status, 400);
  assert.deepEqual([negative.errors[0].nodeId, negative.errors[0].field], ['scheduler', 'lr']);
  const check = refused({ nodeId: 'scheduler', params: { min_lr: 0.5 } });
  assert.deepEqual([check.status, check.errors[0].field], [400, 'min_lr']);
  const short = refused({ nodeId: 'training', params: { steps: 3 } });
  assert.deepEqual([short.status, short.errors[0].field], [400, 'steps']);
  assert.equal(refused({ nodeId: 'clip', params: {} }).status, 400);
  assert.deepEqual(checkEdit(plan, { nodeId: 'scheduler', params: { lr: 0.002, kind: 'constant' } }, 3), {
    changes: { lr: [0.01, 0.002], kind: ['cosine', 'constant'] },
  });
  assert.equal(plan.nodes.find((n) => n.id === 'scheduler')!.params.lr, 0.01, 'checking changes nothing');
});

test('an edit applies between steps, all fields at once, and is recorded', async () => {
  const outcomes: EditOutcome[] = [];
  const { control, sink } = editingControl(
    {
      5: [
        { nodeId: 'scheduler', params: { kind: 'constant', lr: 0.002 } },
        { nodeId: 'model', params: { d_model: 8 } },
      ],
      8: [{ nodeId: 'training', params: { steps: 24 } }],
    },
    outcomes,
  );
  const io = memoryIO(data());
  const plan = smokePlan(20);
  const result = await runPlan({ plan, io, sink, backendName: backend, control });
  assert.equal(result.step, 24, 'training.steps extended the run');
  assert.equal(plan.totalSteps, 20, "the caller's plan is left as it was");
  assert.deepEqual(
    outcomes.map((o) => ('status' in o ? o.status : o.appliedAtStep)),
    [5, 409, 8],
  );
  const lr = lrs(sink.events);
  for (let step = 1; step <= 5; step++) assert.notEqual(lr.get(step), 0.002, `step ${step} before the edit`);
  for (let step = 6; step <= 24; step++) assert.equal(lr.get(step), 0.002, `step ${step} after the edit`);
  const edited = sink.events.filter((e) => e.type === 'run/edited');
  assert.deepEqual(
    edited.map((e) => [e.step, e.nodeId]),
    [
      [5, 'scheduler'],
      [8, 'training'],
    ],
  );
  assert.deepEqual(edited[0].type === 'run/edited' && edited[0].data.changes, { kind: ['cosine', 'constant'], lr: [0.01, 0.002] });
  const logged = io.logLines.map((l) => JSON.parse(l)).filter((l) => l.edited);
  assert.deepEqual(
    logged.map((l) => [l.step, l.edited.nodeId]),
    [
      [5, 'scheduler'],
      [8, 'training'],
    ],
  );
  const meta = (await io.checkpoints.load('ckpt-000010')).meta as any;
  assert.deepEqual(
    meta.edits.map((e: any) => e.step),
    [5, 8],
  );
  assert.equal(meta.pipeline.nodes.find((n: any) => n.id === 'scheduler').params.lr, 0.002, 'checkpoints carry edited values');
  assert.equal(meta.pipeline.training.steps, 24);
});

test('resuming before or after an edit reproduces the edited run exactly', async () => {
  const edits = {
    7: [
      { nodeId: 'optimizer', params: { weight_decay: 0.5, beta2: 0.9 } },
      { nodeId: 'clip', params: { max_norm: 0.05 } },
    ],
  };
  const { control, sink } = editingControl(edits, []);
  const io = memoryIO(data());
  const plan = smokePlan(14);
  await runPlan({ plan, io, sink, backendName: backend, control });
  const full = losses(sink.events);
  const history = (await io.checkpoints.load('ckpt-000010')).meta as any;

  // Before the edit, with the run's history: the edit is replayed at step 7.
  const early = await io.checkpoints.load('ckpt-000005');
  const replay = collectEvents();
  await runPlan({ plan, io: memoryIO(data()), sink: replay, backendName: backend, resume: { name: 'ckpt-000005', ...early }, edits: history.edits });
  assert.deepEqual(losses(replay.events), full.slice(5));
  const replayed = replay.events.find((e) => e.type === 'run/edited');
  assert.ok(replayed?.type === 'run/edited' && replayed.step === 7 && replayed.data.replayed);

  // After the edit: the checkpoint's own history puts the edited values in effect.
  const late = await io.checkpoints.load('ckpt-000010');
  const after = collectEvents();
  await runPlan({ plan, io: memoryIO(data()), sink: after, backendName: backend, resume: { name: 'ckpt-000010', ...late } });
  assert.deepEqual(losses(after.events), full.slice(10));

  // Without the edit the losses differ: the comparison can fail.
  const plain = collectEvents();
  await runPlan({ plan, io: memoryIO(data()), sink: plain, backendName: backend, resume: { name: 'ckpt-000005', ...early }, edits: [] });
  assert.notDeepEqual(losses(plain.events), full.slice(5));
});

test('a paused run takes edits; edits left when the run ends are refused', async () => {
  const outcomes: EditOutcome[] = [];
  const queue: PendingEdit[] = [{ nodeId: 'clip', params: { max_norm: 0.5 }, settle: (o) => void outcomes.push(o) }];
  let waits = 0;
  const control: RunControl = {
    stopRequested: false,
    waitWhilePaused: async () => {
      waits++;
      if (waits === 1) queue.push({ nodeId: 'log', params: { every: 2 }, settle: (o) => void outcomes.push(o) });
    },
    takeEdits: () => queue.splice(0),
  };
  const sink = collectEvents();
  sink.emit = ((emit) => (e: RunEvent) => {
    emit(e);
    if (e.type === 'run/finished') queue.push({ nodeId: 'clip', params: { max_norm: 2 }, settle: (o) => void outcomes.push(o) });
  })(sink.emit);
  await runPlan({ plan: smokePlan(3), io: memoryIO(data()), sink, backendName: backend, control });
  assert.deepEqual(
    outcomes.map((o) => ('status' in o ? o.status : o.appliedAtStep)),
    [0, 0, 409],
  );
});
