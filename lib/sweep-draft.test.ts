import assert from 'node:assert/strict';
import { test } from 'node:test';
import { draftValues, pointCount, withAxis, withoutAxis } from './sweep-draft';

test('drafts become values: lists, ranges, enums; bad drafts say why', () => {
  assert.deepEqual(draftValues({ mode: 'list', text: '1e-3, 3e-3,1e-3' }, 'number'), { ok: true, values: [1e-3, 3e-3] });
  assert.deepEqual(draftValues({ mode: 'log', from: 1e-4, to: 1e-2, count: 3 }, 'number'), { ok: true, values: [1e-4, 1e-3, 1e-2] });
  assert.deepEqual(draftValues({ mode: 'linear', from: 1, to: 4, count: 4 }, 'integer'), { ok: true, values: [1, 2, 3, 4] });
  assert.deepEqual(draftValues({ mode: 'list', text: 'cosine,linear' }, 'enum', ['cosine', 'linear', 'constant']), { ok: true, values: ['cosine', 'linear'] });
  assert.match((draftValues({ mode: 'list', text: 'fast' }, 'number') as { message: string }).message, /"fast" is not a number/);
  assert.match((draftValues({ mode: 'list', text: 'step' }, 'enum', ['cosine']) as { message: string }).message, /not one of cosine/);
  assert.match((draftValues({ mode: 'log', from: 0, to: 1, count: 3 }, 'number') as { message: string }).message, /above 0/);
  assert.match((draftValues({ mode: 'linear', from: 1, to: 2, count: 0 }, 'number') as { message: string }).message, /count must be/);
  assert.match((draftValues({ mode: 'list', text: ' , ' }, 'number') as { message: string }).message, /at least one/);
});

test('axes of the document sweep: set, replace, at most two, removed', () => {
  const lr = { nodeId: 'scheduler', field: 'lr', values: [1, 2] };
  const seed = { nodeId: 'training', field: 'seed', values: [1, 2, 3] };
  const clip = { nodeId: 'clip', field: 'max_norm', values: [0.5] };
  let sweep = withAxis(undefined, lr);
  sweep = withAxis(sweep, seed);
  assert.equal(pointCount(sweep), 6);
  sweep = withAxis(sweep, { ...lr, values: [5] });
  assert.deepEqual(
    sweep.axes.map((a) => a.field),
    ['seed', 'lr'],
  );
  sweep = withAxis(sweep, clip);
  assert.deepEqual(
    sweep.axes.map((a) => a.field),
    ['seed', 'max_norm'],
  );
  assert.deepEqual(withoutAxis(sweep, 'training', 'seed')?.axes, [clip]);
  assert.equal(withoutAxis(withoutAxis(sweep, 'training', 'seed'), 'clip', 'max_norm'), undefined);
  assert.equal(pointCount(undefined), 0);
});
