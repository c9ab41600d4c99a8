// The train CLI end to end: trains the smoke pipeline, resumes, and reports bad pipelines per node.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const root = new URL('..', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'train-cli-'));

function train(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'cli/train.ts', ...args, '--data', join(tmp, 'data')], { cwd: root, encoding: 'utf8' });
}

test('trains the smoke pipeline, writes the run folder, and resumes from a checkpoint', () => {
  const out = join(tmp, 'run');
  const first = train(['pipelines/smoke.json', '--steps', '10', '--out', out]);
  assert.equal(first.status, 0, first.stderr + first.stdout);
  assert.match(first.stdout, /step 10\/10 +loss \d+\.\d+/);
  assert.match(first.stdout, /completed after 10 steps/);
  const lines = readFileSync(join(out, 'train_log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    lines.map((l) => l.step),
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  );
  assert.deepEqual(readdirSync(join(out, 'checkpoints')).sort(), ['ckpt-000010.json', 'ckpt-000010.safetensors']);
  assert.ok(readdirSync(out).includes('plan.json'));

  const resumed = train(['pipelines/smoke.json', '--steps', '12', '--out', join(tmp, 'resumed'), '--resume', join(out, 'checkpoints')]);
  assert.equal(resumed.status, 0, resumed.stderr + resumed.stdout);
  assert.match(resumed.stdout, /resumed from ckpt-000010/);
  const more = readFileSync(join(tmp, 'resumed', 'train_log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    more.map((l) => l.step),
    [11, 12],
  );
});

test('a pipeline with errors is not run: one line per problem, exit 1', () => {
  const doc = JSON.parse(readFileSync(join(root, 'pipelines/smoke.json'), 'utf8'));
  doc.nodes.find((n: { id: string }) => n.id === 'model').params.n_heads = 3;
  doc.nodes.find((n: { id: string }) => n.id === 'clip').type = 'clipper';
  const path = join(tmp, 'bad.json');
  writeFileSync(path, JSON.stringify(doc));
  const result = train([path]);
  assert.equal(result.status, 1);
  assert.match(result.stderr, /has 2 problems/);
  assert.match(result.stderr, /^ {2}model\.attn\.n_heads: d_model \(32\) must be divisible by n_heads \(3\)/m);
  assert.match(result.stderr, /^ {2}clip\.type: unknown node type 'clipper'/m);
});

test('usage errors exit 2 with the usage line', () => {
  const result = train(['pipelines/smoke.json', '--steps', 'many']);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /--steps must be a positive integer/);
  const missing = train([join(tmp, 'nope.json')]);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /cannot read .*nope\.json: ENOENT/);
});
