// The OpenBLAS kernel choice (blas-core.ts): the environment's OPENBLAS_CORETYPE first, then
// OpenBLAS's own detection unless the CPU flags allow wider kernels. And the tuned kernels (the
// CPU flags' choice) train to the same losses as the environment's (or OpenBLAS's default) ones
// on this machine, within float32 tolerance: each run in its own process, since OpenBLAS reads
// OPENBLAS_CORETYPE once when it loads.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { encodeNpy } from '../data/npy';
import { Rng } from '../random';
import { chooseOpenBlasCore } from './blas-core';
import { loadNodeBlas, tunedOpenBlasCoreType } from './blas';

test('OPENBLAS_CORETYPE decides when set; else the detection unless it is narrower than the flags allow', () => {
  assert.deepEqual(chooseOpenBlasCore({ OPENBLAS_CORETYPE: 'Haswell' }, 'Cooperlake', 'SkylakeX'), { coreType: 'Haswell', source: 'OPENBLAS_CORETYPE' });
  assert.deepEqual(chooseOpenBlasCore({}, 'Cooperlake', 'SkylakeX'), { source: 'detected' });
  assert.deepEqual(chooseOpenBlasCore({}, 'SkylakeX', 'SkylakeX'), { source: 'detected' });
  assert.deepEqual(chooseOpenBlasCore({}, 'Prescott', 'SkylakeX'), { coreType: 'SkylakeX', source: 'cpu flags' });
  assert.deepEqual(chooseOpenBlasCore({}, 'Haswell', 'SkylakeX'), { coreType: 'SkylakeX', source: 'cpu flags' });
  assert.deepEqual(chooseOpenBlasCore({}, 'Zen', 'Haswell'), { source: 'detected' }, 'Zen kernels are AVX2 too');
  assert.deepEqual(chooseOpenBlasCore({}, 'Sandybridge', 'Haswell'), { coreType: 'Haswell', source: 'cpu flags' });
  assert.deepEqual(chooseOpenBlasCore({}, undefined, 'Haswell'), { coreType: 'Haswell', source: 'cpu flags' }, 'detection unknown');
  assert.deepEqual(chooseOpenBlasCore({ OPENBLAS_CORETYPE: ' ' }, 'Prescott', undefined), { source: 'detected' }, 'no flags to go by');
  assert.deepEqual(chooseOpenBlasCore({}, undefined, undefined), { source: 'OpenBLAS default' });
});

const dir = mkdtempSync(join(tmpdir(), 'blas-core-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A small LayerNorm + GELU loop over made-up bytes; the products are big enough for OpenBLAS's kernels. */
function writePipeline(): string {
  const rng = new Rng(5);
  const words = ['the ', 'cat ', 'sat ', 'on ', 'a ', 'mat. '];
  const ids = new Uint16Array(40_000);
  for (let i = 0; i < ids.length;) for (const c of words[rng.index(words.length)]) if (i < ids.length) ids[i++] = c.charCodeAt(0);
  writeFileSync(join(dir, 'train.npy'), encodeNpy(ids.subarray(0, 36_000)));
  writeFileSync(join(dir, 'valid.npy'), encodeNpy(ids.subarray(36_000)));
  const node = (id: string, params: Record<string, unknown> = {}) => ({ id, type: id, params });
  const edge = (s: string, sh: string, t: string, th: string) => ({ id: `${s}.${sh}-${t}.${th}`, source: s, sourceHandle: sh, target: t, targetHandle: th });
  const doc = {
    version: 1,
    meta: { name: 'kernel parity' },
    training: { steps: 8, seed: 3 },
    nodes: [
      node('dataset', { source: 'files', train_path: join(dir, 'train.npy'), valid_path: join(dir, 'valid.npy') }),
      node('get_batch', { batch_size: 16, context_length: 64, seed: 1 }),
      node('model', { vocab_size: 256, context_length: 64, d_model: 128, n_layers: 2, n_heads: 4, d_ff: 512, norm: 'layernorm', ffn: 'gelu' }),
      node('loss'),
      node('backward'),
      node('optimizer', { kind: 'adamw', lr: 0.003 }),
      node('log', { every: 1 }),
    ],
    edges: [
      edge('dataset', 'train', 'get_batch', 'tokens'),
      edge('get_batch', 'x', 'model', 'x'),
      edge('model', 'logits', 'loss', 'logits'),
      edge('get_batch', 'y', 'loss', 'targets'),
      edge('loss', 'loss', 'backward', 'loss'),
      edge('backward', 'grads', 'optimizer', 'grads'),
      edge('model', 'model', 'optimizer', 'model'),
      edge('backward', 'loss', 'log', 'loss'),
    ],
  };
  const path = join(dir, 'pipeline.json');
  writeFileSync(path, JSON.stringify(doc));
  return path;
}

/** Trains the pipeline with the CLI under a kernel set (undefined: OpenBLAS's own); the losses and the kernels it reported. */
function trainWith(pipeline: string, coreType: string | undefined, name: string): { losses: number[]; output: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, PRETRAIN_BLAS_THREADS: '1' };
  if (coreType) env.OPENBLAS_CORETYPE = coreType;
  else delete env.OPENBLAS_CORETYPE;
  const out = join(dir, name);
  const cli = new URL('../../cli/train.ts', import.meta.url).pathname;
  const r = spawnSync(process.execPath, ['--import', 'tsx', cli, pipeline, '--out', out], { env, encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const losses = readFileSync(join(out, 'train_log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { loss: number }).loss);
  return { losses, output: r.stdout + r.stderr };
}

test('the tuned kernels train to the same losses as the default ones on this machine', async (t) => {
  const tuned = tunedOpenBlasCoreType();
  if (!(await loadNodeBlas()) || !tuned) return t.skip('no OpenBLAS through koffi here, or no AVX2/AVX-512 flags');
  const pipeline = writePipeline();
  const usual = trainWith(pipeline, process.env.OPENBLAS_CORETYPE, 'usual');
  const best = trainWith(pipeline, tuned, 'tuned');
  assert.match(best.output, new RegExp(`OpenBLAS \\S+ ${tuned} `), 'the run says which kernels it used');
  assert.equal(usual.losses.length, 8);
  assert.ok(usual.losses[7] < usual.losses[0] - 0.5, 'and it learns');
  const diff = Math.max(...usual.losses.map((l, i) => Math.abs(l - best.losses[i]) / l));
  console.log(`kernels ${process.env.OPENBLAS_CORETYPE ?? 'detected'} vs ${tuned}: max relative loss difference ${diff.toExponential(2)}`);
  assert.ok(diff < 1e-4, `losses differ by ${diff}`);
});
