import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { compile } from '../compiler/compile';
import { migratePipeline } from '../pipeline/migrate';
import { Pipeline, PIPELINE_VERSION } from '../pipeline/schema';
import { expandSweep, linearValues, logValues, MAX_SWEEP_POINTS, type SweepAxis } from './sweep';

const smoke = JSON.parse(readFileSync(new URL('../../pipelines/smoke.json', import.meta.url), 'utf8'));
const nodeParams = (doc: Record<string, unknown>, id: string) =>
  (doc.nodes as { id: string; params: Record<string, unknown> }[]).find((n) => n.id === id)!.params;

test('one axis: a point per value, each with its value set and compiling', () => {
  const result = expandSweep(smoke, [{ nodeId: 'scheduler', field: 'lr', values: [1e-3, 3e-3, 1e-2] }]);
  assert.ok(result.ok);
  assert.deepEqual(
    result.points.map((p) => p.values),
    [{ 'scheduler.lr': 1e-3 }, { 'scheduler.lr': 3e-3 }, { 'scheduler.lr': 1e-2 }],
  );
  assert.deepEqual(
    result.points.map((p) => nodeParams(p.pipeline, 'scheduler').lr),
    [1e-3, 3e-3, 1e-2],
  );
  for (const point of result.points) assert.ok(compile(point.pipeline).ok);
  // The input is left alone.
  assert.equal(nodeParams(smoke, 'scheduler').lr, 0.01);
});

test('two axes make a grid, the first axis outermost; training fields sweep too', () => {
  const result = expandSweep(smoke, [
    { nodeId: 'clip', field: 'max_norm', values: [0.5, 1] },
    { nodeId: 'training', field: 'seed', values: [1, 2, 3] },
  ]);
  assert.ok(result.ok);
  assert.deepEqual(
    result.points.map((p) => Object.values(p.values)),
    [
      [0.5, 1],
      [0.5, 2],
      [0.5, 3],
      [1, 1],
      [1, 2],
      [1, 3],
    ],
  );
  assert.deepEqual(
    result.points.map((p) => (p.pipeline.training as { seed: number }).seed),
    [1, 2, 3, 1, 2, 3],
  );
  const ok = compile(result.points[5].pipeline);
  assert.ok(ok.ok && ok.plan.seed === 3);
});

const refused = (axes: SweepAxis[]) => {
  const result = expandSweep(smoke, axes);
  assert.equal(result.ok, false);
  return (result as { errors: { nodeId: string; field: string; message: string }[] }).errors;
};

test('bad axes are refused, each error naming its axis', () => {
  let [e] = refused([{ nodeId: 'scheduler', field: 'lr', values: [] }]);
  assert.deepEqual([e.nodeId, e.field], ['scheduler', 'lr']);
  assert.match(e.message, /0 points/);

  [e] = refused([{ nodeId: 'ghost', field: 'lr', values: [1] }]);
  assert.deepEqual([e.nodeId, e.field], ['ghost', 'lr']);
  assert.match(e.message, /no node "ghost"/);

  [e] = refused([{ nodeId: 'scheduler', field: 'learning_rate', values: [1] }]);
  assert.match(e.message, /scheduler has no param "learning_rate"/);

  [e] = refused([{ nodeId: 'training', field: 'epochs', values: [1] }]);
  assert.match(e.message, /training has no field "epochs"/);

  const errors = refused([
    { nodeId: 'clip', field: 'max_norm', values: [1] },
    { nodeId: 'clip', field: 'max_norm', values: [2] },
  ]);
  assert.ok(errors.some((x) => x.field === 'max_norm' && /swept twice/.test(x.message)));

  [e] = refused([{ nodeId: 'scheduler', field: 'lr', values: [1e-3, 1e-3] }]);
  assert.match(e.message, /a value twice/);
});

test('values the schema refuses and combinations that do not compile name the axis and the point', () => {
  let [e] = refused([{ nodeId: 'scheduler', field: 'lr', values: [1e-3, 'fast'] }]);
  assert.deepEqual([e.nodeId, e.field], ['scheduler', 'lr']);
  assert.match(e.message, /scheduler\.lr="fast"/);
  assert.match(e.message, /number/);

  // d_model 32 is not divisible by 3 heads: the model's own check, blamed on the swept field.
  [e] = refused([{ nodeId: 'model', field: 'n_heads', values: [2, 3] }]);
  assert.deepEqual([e.nodeId, e.field], ['model', 'n_heads']);
  assert.match(e.message, /model\.n_heads=3/);

  [e] = refused([{ nodeId: 'training', field: 'steps', values: [10, -1] }]);
  assert.deepEqual([e.nodeId, e.field], ['training', 'steps']);
});

test('a param fed by an input port is not swept silently', () => {
  // smoke's optimizer takes its lr from the scheduler: sweeping optimizer.lr would change nothing.
  const [e] = refused([{ nodeId: 'optimizer', field: 'lr', values: [1e-3, 1e-2] }]);
  assert.deepEqual([e.nodeId, e.field], ['optimizer', 'lr']);
  assert.match(e.message, /fed by scheduler/);
});

test(`more than ${MAX_SWEEP_POINTS} points are refused on the last axis`, () => {
  const values = linearValues(1, 17, 17);
  const [e] = refused([
    { nodeId: 'training', field: 'seed', values },
    { nodeId: 'get_batch', field: 'seed', values },
  ]);
  assert.deepEqual([e.nodeId, e.field], ['get_batch', 'seed']);
  assert.match(e.message, /289 points; at most 256/);
});

test('ranges: linear and log, exact at both ends, to 3 significant digits', () => {
  assert.deepEqual(linearValues(0, 1, 5), [0, 0.25, 0.5, 0.75, 1]);
  assert.deepEqual(logValues(1e-4, 1e-2, 3), [1e-4, 1e-3, 1e-2]);
  assert.deepEqual(logValues(1e-3, 1e-1, 5), [0.001, 0.00316, 0.01, 0.0316, 0.1]);
  assert.deepEqual(linearValues(0, 1, 4), [0, 0.333, 0.667, 1]);
  assert.deepEqual(linearValues(3, 9, 1), [3]);
  assert.throws(() => logValues(0, 1, 3), /above 0/);
});

test('format version 2: a version-1 document migrates, and a saved sweep is part of the document', () => {
  assert.equal(PIPELINE_VERSION, 3);
  const v1 = { ...smoke, version: 1 };
  const migrated = migratePipeline(v1);
  assert.ok(migrated.ok);
  assert.equal(migrated.from, 1);
  assert.equal(migrated.doc.version, 3);
  const parsed = Pipeline.parse(migrated.doc);
  assert.equal(parsed.sweep, undefined);
  assert.deepEqual(
    parsed.nodes.map((n) => n.id),
    smoke.nodes.map((n: { id: string }) => n.id),
  );

  const withSweep = { ...smoke, version: 2, sweep: { axes: [{ nodeId: 'scheduler', field: 'lr', values: [1e-3, 3e-3] }], steps: 5 } };
  const compiled = compile(withSweep);
  assert.ok(compiled.ok);
  assert.deepEqual(compiled.plan.pipeline.sweep, withSweep.sweep);

  const bad = compile({ ...withSweep, sweep: { axes: [] } });
  assert.equal(bad.ok, false);
  assert.ok(bad.diagnostics.some((d) => d.field?.startsWith('sweep')));
});
