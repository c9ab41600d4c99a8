// `npm run gpu:check`: one command that checks the torch executor and measures speed on a CUDA GPU,
// and writes bench/gpu-results.json. In order:
//   1. parity: the exported train.py for 20 steps on the CPU (float32, the reference) and on cuda
//      in float32 and bf16 autocast, each with --compile off and on, from the same initial weights;
//      the largest relative loss difference of each against the CPU, with its bound;
//   2. DDP: with several local GPUs, torchrun over all of them (NCCL) against one GPU;
//   3. bench rows: R, M and a GPT-2-small-sized config (G) stepped with the exporter's model and
//      with a plain PyTorch loop of the same model (bench/plain_gpt.py), bf16 autocast: tokens/s
//      and MFU against the card's dense bf16 peak (bench/gpu-check-cards.ts), plus the bf16
//      GEMM peak measured here;
//   4. WebGPU in Node (Dawn) on a Vulkan GPU adapter, config R, when there is one.
// Without a CUDA GPU (or without PyTorch) it prints what it skipped and exits 0, writing nothing.
// `--device cpu` rehearses the whole check on the CPU, small (no compile on PyTorch 1.x, no DDP,
// no WebGPU): it is how the check's own test covers the GPU path on a machine without one.
//
// Usage: npm run gpu:check [-- --out FILE] [--configs R,M,G] [--steps 20] [--bench-steps 20] [--python PATH]
//        (Python: --python, else PYTHON, else python3 on PATH or /usr/bin/python3, whichever has PyTorch)
//        npm run gpu:check -- --device cpu --out /tmp/gpu-rehearsal.json --configs R --steps 4 --bench-steps 3
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchConfig, type BenchConfig } from './configs';
import { DEFAULT_PYTHON } from '../engine/node/torch-launch';
import { CONFIG_G } from './gpu-check-cards';
import { benchRows, ddpCheck, parityChecks, prepareExport, probeGpu, webGpuRow, type CheckContext, type GpuProbe } from './gpu-check-steps';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    device: { type: 'string', default: 'cuda' },
    configs: { type: 'string' },
    steps: { type: 'string', default: '20' },
    'bench-steps': { type: 'string', default: '20' },
    python: { type: 'string' },
  },
});

const log = (s: string) => process.stdout.write(`${s}\n`);

/** What a run on a GPU would have done, for the message when there is none. */
const GPU_WORK = [
  'torch executor on cuda: float32 and bf16 autocast, --compile off and on, loss parity against the CPU over 20 steps',
  'DDP over all local GPUs with NCCL (when there are several)',
  'bench rows on the GPU: R, M and G (GPT-2 small size), exporter model and plain PyTorch loop, tokens/s and MFU',
  "WebGPU in Node on the GPU's Vulkan adapter",
];

function options(): { device: 'cuda' | 'cpu'; steps: number; benchSteps: number; configs: BenchConfig[] } {
  const device = values.device;
  if (device !== 'cuda' && device !== 'cpu') throw new Error(`--device must be cuda or cpu, got ${device}`);
  const count = (name: string, text: string) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new Error(`--${name} must be a whole number in [1, 10000], got ${text}`);
    return n;
  };
  const names = (values.configs ?? (device === 'cuda' ? 'R,M,G' : 'R')).split(',').filter(Boolean);
  const configs = names.map((n) => (n === 'G' ? CONFIG_G : benchConfig(n)));
  return { device, steps: count('steps', values.steps!), benchSteps: count('bench-steps', values['bench-steps']!), configs };
}

/**
 * The Python that runs the check: --python, else PYTHON, else the first of `python3` on PATH (an
 * activated environment, where GPU machines usually keep PyTorch) and DEFAULT_PYTHON with PyTorch.
 */
function choosePython(): { python: string; probe: GpuProbe } {
  const given = values.python ?? process.env.PYTHON;
  const candidates = given ? [given] : ['python3', DEFAULT_PYTHON];
  let first: GpuProbe | undefined;
  for (const python of candidates) {
    const probe = probeGpu(python);
    if (probe.torch) return { python, probe };
    first ??= probe;
  }
  return { python: candidates.join(' or '), probe: first! };
}

async function main(): Promise<number> {
  const opts = options();
  if (opts.device === 'cpu' && !values.out) throw new Error('--device cpu rehearses the check: give --out, so the GPU results are not overwritten');
  const out = values.out ?? join(ROOT, 'bench', 'gpu-results.json');
  const { python, probe } = choosePython();
  if (!probe.torch || (opts.device === 'cuda' && probe.gpus.length === 0)) {
    const why = probe.torch ? `PyTorch ${probe.torch} sees no CUDA device` : `no PyTorch at ${python} (${probe.error})`;
    log(`gpu:check: ${why}; skipped, nothing written:`);
    for (const item of GPU_WORK) log(`  - skipped: ${item}`);
    return 0;
  }
  log(`gpu:check on ${opts.device === 'cuda' ? probe.gpus.map((g) => g.name).join(', ') : 'the CPU (rehearsal)'}; PyTorch ${probe.torch}`);
  const started = new Date();
  const work = mkdtempSync(join(tmpdir(), 'gpu-check-'));
  // Written after every run, `complete` false until the end: a check stopped part way (a time
  // limit on a rented GPU, say) leaves what it finished.
  const results: Record<string, unknown> = { complete: false };
  const save = () => writeFileSync(out, JSON.stringify({ meta: meta(started, probe, opts.device), ...results }, null, 2) + '\n');
  const record: CheckContext['record'] = (section, value) => {
    results[section] = value;
    save();
  };
  try {
    const ctx: CheckContext = { ...opts, python, root: ROOT, work, probe, log, record };
    const exported = await prepareExport(ctx);
    const parity = await parityChecks(ctx, exported);
    const ddp = await ddpCheck(ctx, exported);
    record('ddp', ddp);
    benchRows(ctx);
    record('webgpu', opts.device === 'cuda' ? webGpuRow(ctx) : { status: 'skipped', note: 'rehearsal on the CPU' });
    results.complete = true;
    save();
    log(`wrote ${out}`);
    const failed = parity.some((p) => p.status === 'failed') || ddp.status === 'failed';
    return failed ? 1 : 0;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function meta(started: Date, probe: GpuProbe, device: string) {
  return {
    started: started.toISOString(),
    finished: new Date().toISOString(),
    device,
    command: `npm run gpu:check -- ${process.argv.slice(2).join(' ')}`.trim(),
    gpus: probe.gpus,
    torch: probe.torch,
    cuda: probe.cuda,
    node: process.version,
    gpuDriver: spawnSync('nvidia-smi', ['--query-gpu=driver_version', '--format=csv,noheader'], { encoding: 'utf8' }).stdout?.trim().split('\n')[0] || null,
  };
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`gpu:check: ${err.message}`);
    process.exit(2);
  },
);
