// `npm run gpu:check` on a machine without a GPU: it says what it skipped, writes nothing and
// exits 0; without PyTorch likewise. The GPU path itself is rehearsed on the CPU (--device cpu):
// the CPU reference, float32 and bf16 autocast runs of the exported train.py with their loss
// differences, and the bench rows of the exporter's model next to the plain PyTorch loop.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { bf16PeakOf, PARITY_BOUNDS } from './gpu-check-cards';
import { maxRelativeDifference, probeGpu } from './gpu-check-steps';
import { DEFAULT_PYTHON } from '../engine/node/torch-launch';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = mkdtempSync(join(tmpdir(), 'gpu-check-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function gpuCheck(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'gpu-check.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 400_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const SKIPPED = [
  /skipped: torch executor on cuda: float32 and bf16 autocast, --compile off and on/,
  /skipped: DDP over all local GPUs with NCCL/,
  /skipped: bench rows on the GPU: R, M and G/,
  /skipped: WebGPU in Node on the GPU's Vulkan adapter/,
];

test('without a CUDA GPU it lists what it skipped, writes nothing and exits 0', (t) => {
  if (probeGpu(DEFAULT_PYTHON).gpus.length > 0) return t.skip('this machine has a GPU: the full check is not a unit test');
  const out = join(dir, 'none.json');
  const r = gpuCheck(['--out', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /sees no CUDA device|no PyTorch/);
  for (const line of SKIPPED) assert.match(r.stdout, line);
  assert.equal(existsSync(out), false);
});

test('without PyTorch it says so, skips everything and exits 0', () => {
  const r = gpuCheck(['--python', join(dir, 'no-such-python'), '--out', join(dir, 'x.json')]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /no PyTorch at .*no-such-python/);
  for (const line of SKIPPED) assert.match(r.stdout, line);
});

test('bad options are refused with the option named', () => {
  const device = gpuCheck(['--device', 'tpu']);
  assert.equal(device.status, 2);
  assert.match(device.stderr, /--device must be cuda or cpu, got tpu/);
  const steps = gpuCheck(['--steps', '0', '--device', 'cpu', '--out', join(dir, 'y.json')]);
  assert.match(steps.stderr, /--steps must be a whole number/);
  assert.match(gpuCheck(['--device', 'cpu']).stderr, /--device cpu rehearses the check: give --out/);
  assert.match(gpuCheck(['--configs', 'R,Z', '--device', 'cpu', '--out', join(dir, 'z.json')]).stderr, /unknown bench config Z/);
});

test('cards: the dense bf16 peak by the name CUDA reports; unknown cards have none', () => {
  assert.deepEqual(bf16PeakOf('NVIDIA H100 80GB HBM3'), { name: 'H100 SXM', bf16Tflops: 989 });
  assert.deepEqual(bf16PeakOf('NVIDIA H100 PCIe'), { name: 'H100 PCIe', bf16Tflops: 756 });
  assert.equal(bf16PeakOf('NVIDIA H200')?.bf16Tflops, 989);
  assert.equal(bf16PeakOf('NVIDIA A100-SXM4-80GB')?.bf16Tflops, 312);
  assert.equal(bf16PeakOf('NVIDIA L4')?.name, 'L4');
  assert.equal(bf16PeakOf('NVIDIA L40S')?.name, 'L40S');
  assert.equal(bf16PeakOf('Tesla V100-SXM2-16GB'), undefined);
  assert.equal(maxRelativeDifference([2, 4], [2, 5]), 0.2);
  assert.throws(() => maxRelativeDifference([1], [1, 2]), /1 and 2 steps/);
});

/** Runs gpu:check while reading `out` every 100 ms; resolves to its exit and every `complete` flag seen before the end. */
function gpuCheckWatched(args: string[], out: string): Promise<{ status: number | null; output: string; seen: boolean[] }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'gpu-check.ts'), ...args], { cwd: ROOT });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const seen: boolean[] = [];
  const watch = setInterval(() => {
    try {
      seen.push(JSON.parse(readFileSync(out, 'utf8')).complete);
    } catch {
      // not written yet, or caught mid-write
    }
  }, 100);
  return new Promise((resolve) =>
    child.on('close', (status) => {
      clearInterval(watch);
      resolve({ status, output, seen });
    }),
  );
}

test('rehearsal on the CPU: parity runs, bf16 within its bound, both bench models, JSON written as it goes', async () => {
  const out = join(dir, 'rehearsal.json');
  const r = await gpuCheckWatched(['--device', 'cpu', '--out', out, '--configs', 'R', '--steps', '4', '--bench-steps', '2'], out);
  assert.equal(r.status, 0, r.output);
  assert.ok(r.seen.includes(false), 'partial results are on disk while the check runs');
  const results = JSON.parse(readFileSync(out, 'utf8'));
  assert.equal(results.complete, true);
  const byName = new Map(results.parity.map((p: { name: string }) => [p.name, p]));
  const reference = byName.get('cpu float32 (reference)') as { status: string; losses: number[] };
  assert.equal(reference.status, 'ok');
  assert.equal(reference.losses.length, 4);
  assert.ok(reference.losses[3] < reference.losses[0], 'the reference learns');
  const fp32 = byName.get('cpu float32') as { maxRelDiff: number };
  assert.equal(fp32.maxRelDiff, 0, 'the same device and dtype repeat the reference exactly');
  const bf16 = byName.get('cpu bfloat16') as { status: string; maxRelDiff: number };
  assert.equal(bf16.status, 'ok');
  assert.ok(bf16.maxRelDiff > 0 && bf16.maxRelDiff < PARITY_BOUNDS.bfloat16, `bf16 autocast changes the losses a little: ${bf16.maxRelDiff}`);
  const compiled = byName.get('cpu float32 compiled') as { status: string };
  assert.equal(compiled.status, probeGpu(DEFAULT_PYTHON).compile ? 'ok' : 'skipped');
  assert.equal(results.ddp.status, 'skipped');
  const rows = results.bench.rows as { model: string; status: string; tokensPerSec: number; params: number }[];
  assert.deepEqual(
    rows.map((row) => [row.model, row.status]),
    [
      ['exporter', 'ok'],
      ['plain', 'ok'],
    ],
  );
  assert.ok(rows.every((row) => row.tokensPerSec > 0));
  assert.equal(rows[0].params, 427_264);
  assert.equal(rows[1].params, rows[0].params, 'the plain loop trains the same model');
});
