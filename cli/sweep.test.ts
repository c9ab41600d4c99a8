// The sweep CLI end to end: three points of the smoke pipeline trained one after another, each
// an ordinary run folder, and the result table; invalid sweeps exit 1 naming the axis.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseSet } from './sweep';

const root = new URL('..', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'sweep-cli-'));

function sweep(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'cli/sweep.ts', ...args, '--data', join(tmp, 'data')], { cwd: root, encoding: 'utf8' });
}

test('--set values: lists, booleans and strings, linear and log ranges', () => {
  assert.deepEqual(parseSet('scheduler.lr=1e-3,3e-3'), { nodeId: 'scheduler', field: 'lr', values: [1e-3, 3e-3] });
  assert.deepEqual(parseSet('optimizer.nesterov=true,false').values, [true, false]);
  assert.deepEqual(parseSet('scheduler.kind=cosine,linear').values, ['cosine', 'linear']);
  assert.deepEqual(parseSet('clip.max_norm=lin:0.5:1.5:3').values, [0.5, 1, 1.5]);
  assert.deepEqual(parseSet('scheduler.lr=log:1e-4:1e-2:3').values, [1e-4, 1e-3, 1e-2]);
  assert.throws(() => parseSet('lr=1'), /node\.field=values/);
});

test('trains each point in its own run folder and prints the table', () => {
  const out = join(tmp, 'lr');
  const result = sweep(['pipelines/smoke.json', '--set', 'scheduler.lr=2e-3,5e-3,1e-2', '--steps', '10', '--out', out]);
  assert.equal(result.status, 0, result.stderr + result.stdout);
  assert.deepEqual(readdirSync(out).sort(), ['point-001', 'point-002', 'point-003']);
  const header = result.stdout.split('\n').find((l) => l.startsWith('scheduler.lr'))!;
  assert.match(header, /status +loss +best val \(step\) +final val +tok\/s +run folder/);
  const rows = result.stdout.split('\n').filter((l) => /^0\.0\d+ +completed/.test(l));
  assert.equal(rows.length, 3, result.stdout);
  for (const [i, lr] of [2e-3, 5e-3, 1e-2].entries()) {
    assert.match(rows[i], new RegExp(`^${lr} +completed +\\d+\\.\\d{4} +\\d+\\.\\d{4} \\(10\\)`));
    const log = readFileSync(join(out, `point-00${i + 1}`, 'train_log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.ok(Math.abs(Math.max(...log.map((l) => l.lr)) - lr) < 1e-9);
  }
});

test('an invalid sweep exits 1 naming the axis, and trains nothing', () => {
  const out = join(tmp, 'bad');
  const result = sweep(['pipelines/smoke.json', '--set', 'model.n_heads=2,3', '--out', out]);
  assert.equal(result.status, 1);
  assert.match(result.stderr, /^model\.n_heads: at model\.n_heads=3/m);
  assert.throws(() => readdirSync(out));
});
