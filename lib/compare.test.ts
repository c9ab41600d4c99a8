import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  alignCurves,
  compareGraphs,
  compareRow,
  editLabel,
  effectivePipeline,
  ema,
  runCurve,
  runLabel,
  sortRows,
  toCsv,
  type CompareRow,
  type HotEdit,
} from './compare';
import { loadDocumentValue, type Pipeline } from './document';
import { emptyRun, type RunView } from './run-stream';

const smoke = (): Pipeline => {
  const loaded = loadDocumentValue(JSON.parse(readFileSync(new URL('../pipelines/smoke.json', import.meta.url), 'utf8')));
  assert.ok(loaded.ok);
  return loaded.doc;
};

function view(): RunView {
  const v = emptyRun('r1');
  v.started = { step: 0, totalSteps: 4, backend: 'wasm', parameters: 1000, tokensPerStep: 64 };
  v.step = 4;
  Object.assign(v.charts, {
    step: [1, 2, 3, 4],
    loss: [4, 2, 3, 1],
    lr: [0.1, 0.2, null, 0.4],
    grad_norm: [1, 1, 1, 1],
    tokens_per_sec: [10, 20, 30, 40],
    step_ms: [1, 1, 1, 1],
    elapsed_s: [0.5, 1, 1.5, 2],
    evalStep: [2, 4],
    val_loss: [3.5, 2.5],
  });
  return v;
}

test('EMA with bias correction, against values worked by hand; nulls kept', () => {
  assert.deepEqual(ema([1, 2, 3], 0), [1, 2, 3]);
  const out = ema([1, null, 3], 0.5) as number[];
  assert.equal(out[0], 1);
  assert.equal(out[1], null);
  // s1 = 0.5, s2 = 0.25 + 1.5 = 1.75; debiased by 1 - 0.25 = 0.75 -> 2.3333…
  assert.ok(Math.abs(out[2] - 1.75 / 0.75) < 1e-12);
});

test("curves on step, tokens and wall-time axes; evals placed at their step's time", () => {
  const v = view();
  assert.deepEqual(runCurve(v, 'loss', 'step', 0), { x: [1, 2, 3, 4], y: [4, 2, 3, 1] });
  assert.deepEqual(runCurve(v, 'val_loss', 'tokens', 0), { x: [128, 256], y: [3.5, 2.5] });
  assert.deepEqual(runCurve(v, 'val_loss', 'time', 0), { x: [1, 2], y: [3.5, 2.5] });
  assert.deepEqual(runCurve(v, 'lr', 'step', 0.9).y, [0.1, 0.2, null, 0.4], 'lr is never smoothed');
  assert.notDeepEqual(runCurve(v, 'loss', 'step', 0.9).y, [4, 2, 3, 1]);
  // Before run/started there is no tokens-per-step: no points on the tokens axis.
  const early = { ...v, started: undefined };
  assert.deepEqual(runCurve(early, 'loss', 'tokens', 0), { x: [], y: [] });
});

test('curves aligned on one x with nulls where a run has no point', () => {
  assert.deepEqual(
    alignCurves([
      { x: [1, 3], y: [5, 6] },
      { x: [2, 3], y: [7, 8] },
    ]),
    [
      [1, 2, 3],
      [5, null, 6],
      [null, 7, 8],
    ],
  );
});

test('table rows: best and final val loss with their steps, tokens, sorting and CSV', () => {
  const status = {
    id: 'r1',
    name: 'Smoke, "quoted"',
    state: 'completed',
    executor: 'node',
    backend: 'wasm',
    step: 4,
    totalSteps: 4,
    metrics: {},
    createdAt: '',
    updatedAt: '',
    lastSeq: 9,
  } as const;
  const row = compareRow('r1', { ...status }, view(), 'scheduler.lr=0.003');
  assert.equal(row.bestValLoss, 2.5);
  assert.equal(row.bestValStep, 4);
  assert.equal(row.tokens, 256);
  assert.equal(row.parameters, 1000);
  assert.equal(row.wallS, 2);
  const rows: CompareRow[] = [row, { ...row, id: 'r2', bestValLoss: 2.1 }, { ...row, id: 'r3', bestValLoss: undefined }];
  assert.deepEqual(
    sortRows(rows, 'bestValLoss', false).map((r) => r.id),
    ['r2', 'r1', 'r3'],
  );
  assert.deepEqual(
    sortRows(rows, 'bestValLoss', true).map((r) => r.id),
    ['r1', 'r2', 'r3'],
  );
  const csv = toCsv([row]).split('\n');
  assert.equal(csv[0], 'run,name,differs,executor,parameters,tokens,best_val_loss,best_val_step,final_val_loss,final_val_step,wall_s,tokens_per_sec,state');
  assert.equal(csv[1], 'r1,"Smoke, ""quoted""",scheduler.lr=0.003,node · wasm,1000,256,2.5,4,2.5,4,2,40,completed');
});

test('graph comparison: changed fields per run, added and removed blocks and wires, identical graphs', () => {
  const a = smoke();
  const b = smoke();
  b.nodes.find((n) => n.id === 'scheduler')!.params.lr = 3e-3;
  const c = smoke();
  c.nodes = c.nodes.filter((n) => n.id !== 'sample');
  c.edges = c.edges.filter((e) => e.target !== 'sample');
  c.nodes.push({ id: 'eval2', type: 'eval', params: {}, position: { x: 5, y: 5 } });
  c.edges.push({ id: 'x', source: 'dataset', sourceHandle: 'valid', target: 'eval2', targetHandle: 'data' });
  const g = compareGraphs([a, b, c]);
  assert.equal(g.identical, false);
  assert.deepEqual(g.blocks.scheduler, { status: 'changed', changes: [{ run: 1, field: 'lr', old: 0.01, new: 3e-3 }], edits: [], missingIn: [] });
  assert.deepEqual(g.blocks.sample, { status: 'removed', changes: [], edits: [], missingIn: [2] });
  assert.deepEqual(g.blocks.eval2, { status: 'added', changes: [], edits: [], missingIn: [0, 1] });
  assert.ok(g.union.nodes.some((n) => n.id === 'eval2'));
  const added = Object.entries(g.edges)
    .filter(([, s]) => s === 'added')
    .map(([id]) => g.union.edges.find((e) => e.id === id)!.target);
  assert.deepEqual(added, ['eval2']);
  assert.ok(Object.values(g.edges).includes('removed'));
  assert.equal(compareGraphs([a, smoke()]).identical, true);
});

test("hot edits are part of a run's effective graph and listed on their block with their step", () => {
  const lrEdit: HotEdit = { step: 40, nodeId: 'scheduler', changes: { lr: [0.01, 0.001] } };
  const longer: HotEdit = { step: 40, nodeId: 'training', changes: { steps: [20, 60] } };
  assert.equal(effectivePipeline(smoke(), [lrEdit, longer]).nodes.find((n) => n.id === 'scheduler')!.params.lr, 0.001);
  assert.equal(effectivePipeline(smoke(), [lrEdit, longer]).training.steps, 60);
  assert.equal(editLabel(lrEdit), 'lr 0.01 → 0.001 @ step 40');
  assert.equal(editLabel({ step: 7, nodeId: 'clip', changes: { max_norm: [1, 0.5] } }, true), 'clip.max_norm 1 → 0.5 @ step 7');

  // Same submitted pipeline, one run edited: not identical; the edit is on the scheduler, with its step.
  const g = compareGraphs([smoke(), smoke()], [[], [lrEdit]]);
  assert.equal(g.identical, false);
  assert.deepEqual(g.blocks.scheduler, {
    status: 'changed',
    changes: [{ run: 1, field: 'lr', old: 0.01, new: 0.001 }],
    edits: [{ run: 1, edit: lrEdit }],
    missingIn: [],
  });
  assert.equal(g.blocks.optimizer.status, 'same');
  assert.equal(runLabel([smoke(), smoke()], [[], [lrEdit]], 1), 'edited scheduler.lr 0.01 → 0.001 @ step 40');

  // The same edit at another step: the effective graphs agree, the runs still differ.
  const later = { ...lrEdit, step: 80 };
  const h = compareGraphs([smoke(), smoke()], [[lrEdit], [later]]);
  assert.equal(h.identical, false);
  assert.equal(h.blocks.scheduler.status, 'changed');
  assert.deepEqual(h.blocks.scheduler.changes, []);
  assert.deepEqual(
    h.blocks.scheduler.edits.map((e) => [e.run, e.edit.step]),
    [
      [0, 40],
      [1, 80],
    ],
  );
  assert.equal(runLabel([smoke(), smoke()], [[lrEdit], [later]], 1), 'edited scheduler.lr 0.01 → 0.001 @ step 80');

  // Submitted with the edited value vs edited live to it: same effective graph, other edits.
  const submitted = smoke();
  submitted.nodes.find((n) => n.id === 'scheduler')!.params.lr = 0.001;
  assert.equal(runLabel([smoke(), submitted], [[lrEdit], []], 1), 'scheduler.lr 0.01 → 0.001; no hot edits');
  assert.equal(compareGraphs([smoke(), submitted], [[lrEdit], []]).blocks.scheduler.status, 'changed', 'the edits differ');
  // The same edits at the same steps: identical, the edits still listed for both runs.
  const same = compareGraphs([smoke(), smoke()], [[lrEdit], [lrEdit]]);
  assert.equal(same.identical, true);
  assert.equal(same.blocks.scheduler.status, 'same');
  assert.equal(same.blocks.scheduler.edits.length, 2);
  assert.equal(runLabel([smoke(), smoke()], [[lrEdit], [lrEdit]], 1), 'same graph');
});
