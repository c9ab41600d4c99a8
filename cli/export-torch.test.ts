// cli/export-torch.ts end to end: a pipeline file becomes a runnable export folder; broken or
// non-exportable pipelines exit 1 naming the node; usage errors exit 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loopPipeline, writeTokenData } from '../engine/export/torch/test-support';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Runs `npm run export:torch -- ...args` (without npm's own startup) and collects the outcome. */
function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'cli/export-torch.ts', ...args], { cwd: ROOT }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

test('cli export:torch: writes the folder, with data paths relative to the pipeline file resolved', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cli-export-torch-'));
  try {
    writeTokenData(path.join(dir, 'ids'));
    const pipeline = loopPipeline({ data: { train: 'ids/train.npy', valid: 'ids/valid.npy' }, steps: 5 });
    await writeFile(path.join(dir, 'p.json'), JSON.stringify(pipeline));
    const out = path.join(dir, 'export');
    const r = await runCli([path.join(dir, 'p.json'), '--out', out, '--steps', '3']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /wrote 11 files to .*: train\.py, model\.py/);
    assert.match(r.stdout, /torchrun --standalone --nproc_per_node=N train\.py/);
    const config = JSON.parse(await readFile(path.join(out, 'config.json'), 'utf8'));
    assert.equal(config.total_steps, 3, '--steps overrides training.steps');
    assert.equal(config.data.train_path, path.join(dir, 'ids', 'train.npy'));
    assert.match(await readFile(path.join(out, 'train.py'), 'utf8'), /^# Trains the exported Pretrain Studio pipeline/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('cli export:torch: errors name the node; usage errors exit 2', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cli-export-torch-'));
  try {
    const pipeline = loopPipeline({ data: { train: 'a.npy', valid: 'b.npy' } }) as { edges: { target: string; targetHandle: string; sourceHandle: string }[] };
    pipeline.edges.find((e) => e.target === 'loss' && e.targetHandle === 'targets')!.sourceHandle = 'x';
    await writeFile(path.join(dir, 'swap.json'), JSON.stringify(pipeline));
    const swap = await runCli([path.join(dir, 'swap.json'), '--out', path.join(dir, 'o')]);
    assert.equal(swap.code, 1);
    assert.match(swap.stderr, /cannot be exported to PyTorch:\n {2}loss\.targets: is fed by get_batch\.x; the PyTorch export needs get_batch\.y/);

    await writeFile(
      path.join(dir, 'bad.json'),
      JSON.stringify({ version: 1, nodes: [{ id: 'm', type: 'model', params: { d_model: 30, n_heads: 4 } }], edges: [] }),
    );
    const bad = await runCli([path.join(dir, 'bad.json'), '--out', path.join(dir, 'o')]);
    assert.equal(bad.code, 1);
    assert.match(
      bad.stderr,
      /has 3 problems:\n  pipeline\.nodes: has no backward node, so nothing trains.*\n  m\.x: required input .*\n  m\.attn\.n_heads: d_model \(30\) must be divisible by n_heads \(4\), or set head_dim/,
    );

    const usage = await runCli([path.join(dir, 'bad.json')]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /usage: npm run export:torch -- <pipeline\.json> --out DIR/);
    assert.equal((await runCli([path.join(dir, 'bad.json'), '--out', 'x', '--steps', '0'])).code, 2);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
