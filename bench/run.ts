// `npm run bench`: trains the reference configs (bench/configs.ts) through the real engine on every
// backend available here, and the same models in PyTorch (the exporter's model.py and optim.py),
// in one run, and writes bench/results.json + bench/results.md (git-ignored).
//
// Each row runs in its own process (engine: bench/engine-worker.ts, torch: bench/torch_bench.py),
// so its peak RSS is its own. Times are medians over the timed steps after warm-up: wall time per
// step (what a user waits) and process CPU time per step (robust when other work shares the cores).
// GFLOP/s = stepFlops / median wall step (formula in configs.ts); MFU = GFLOP/s / the fp32 GEMM peak
// of this machine at the same thread count, measured in the same run with torch.matmul (fastest of
// repeated square products: other work on the machine can only slow a run down).
//
// One-thread rows (the ones every ratio divides by, and the engine rows divided) run once on each of
// the last two CPUs this process may use, pinned with taskset (bench/pin-cpu.ts: the engine pins
// its main thread only), and keep the faster: on a VM one vCPU can be a third slower than the other
// for minutes, and which one a process landed on used to decide a ratio. --no-pin runs each once.
//
// Kernels, like against like: Debian's torch calls the system libblas (OpenBLAS), and so do the
// engine's wasm rows (engine/node/blas.ts). OpenBLAS picks its kernel set ("core") by CPU model,
// or takes OPENBLAS_CORETYPE. The bench runs both executors under each kernel set: the
// environment's (OPENBLAS_CORETYPE as set, or OpenBLAS's own detection when unset) and the tuned
// one for the CPU flags (SkylakeX for AVX-512, Haswell for AVX2), and divides each engine row by
// torch 1 thread under the same kernels. Every row names its kernels; every kernel set its GEMM peak.
//
// Engine rows: "wasm" is the node executor as it runs by default (tfjs wasm, matmuls on the native
// BLAS when koffi and OpenBLAS load, engine/node/blas.ts); "wasm-xnnpack" is the same without the native BLAS (matmuls
// on XNNPACK, as in a browser); "blas-threads" is the node executor on every core as a run threads
// it (OpenBLAS on every core, the wasm kernels on one); "wasm-threads" also gives the wasm kernels
// every core (PRETRAIN_WASM_THREADS, opt-in for runs: slower on M here). The first wasm row of each
// config also runs an eval node after its last step and prints what an eval batch costs as a
// fraction of a training step (bench/engine-worker.ts --eval-batches).
//
// Usage: node --import tsx bench/run.ts [--quick] [--configs R,S4,S16,M,Q] [--backends wasm,wasm-xnnpack,blas-threads,wasm-threads,cpu,webgpu,tensorflow]
//        [--no-torch] [--no-pin] [--steps N] [--out DIR]
//        node --import tsx bench/run.ts --memory   # the memory checks of bench/memory.ts instead
//        node --import tsx bench/run.ts --quality [--steps N]   # time to quality (bench/quality.ts) instead
//        node --import tsx bench/run.ts --insides   # what the model's inside view costs a step (bench/insides.ts) instead
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { TORCH_SOURCES } from '../engine/export/torch/export';
import { tunedOpenBlasCoreType } from '../engine/node/blas';
import { BENCH_CONFIGS, benchConfig, type BenchConfig, matmulParams, stepFlops, torchBenchArgs } from './configs';
import type { EngineRow } from './engine-worker';
import { runJson as runChildJson } from './child-json';
import { allowedCpus, pinnedCommand } from './pin-cpu';
import { ratioLines } from './summary';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    configs: { type: 'string' },
    backends: { type: 'string' },
    'no-torch': { type: 'boolean', default: false },
    'no-pin': { type: 'boolean', default: false },
    steps: { type: 'string' },
    out: { type: 'string', default: HERE },
    memory: { type: 'boolean', default: false },
    quality: { type: 'boolean', default: false },
    insides: { type: 'boolean', default: false },
  },
});

if (values.memory) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(HERE, 'memory.ts')], { cwd: ROOT, stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
if (values.insides) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(HERE, 'insides.ts'), '--out', values.out!], { cwd: ROOT, stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
if (values.quality) {
  const args = ['--import', 'tsx', join(HERE, 'quality.ts'), '--out', values.out!, ...(values.steps ? ['--steps', values.steps] : [])];
  const r = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const quick = values.quick!;
const configNames = (values.configs ?? (quick ? 'R' : BENCH_CONFIGS.map((c) => c.name).join(','))).split(',');
const configs = configNames.map(benchConfig);
const backends = (values.backends ?? (quick ? 'wasm,wasm-xnnpack' : 'wasm,wasm-xnnpack,blas-threads,wasm-threads,cpu,webgpu,tensorflow')).split(',');
const nCpu = cpus().length;
/** The CPUs each one-thread measurement runs on, keeping the better; fewer than two: one unpinned run. */
const PIN_CPUS = values['no-pin'] ? [] : (allowedCpus() ?? []).slice(-2);

/**
 * Runs a one-thread measurement pinned to each CPU of PIN_CPUS (once, unpinned, without two) and
 * keeps the one with the highest `score` (undefined: failed); `tries` describes each, for notes.
 */
function bestOverCpus<T>(run: (cpu: number | undefined) => T, score: (t: T) => number | undefined, describe: (t: T) => string) {
  if (PIN_CPUS.length < 2) return { best: run(undefined), cpu: undefined, tries: '' };
  const tries = PIN_CPUS.map((cpu) => ({ cpu, result: run(cpu) }));
  const scored = tries.filter((t) => score(t.result) !== undefined);
  const pick = scored.length ? scored.reduce((a, b) => (score(b.result)! > score(a.result)! ? b : a)) : tries[0];
  return { best: pick.result, cpu: pick.cpu, tries: tries.map((t) => `CPU ${t.cpu} ${describe(t.result)}`).join(', ') };
}

/** Which engine backends run which configs: the software-slow ones only get the small configs. */
function engineBackendsFor(cfg: BenchConfig): string[] {
  return backends.filter((b) => {
    if (b === 'cpu') return cfg.name === 'R'; // ~100 tokens/s: one small config is enough to see it
    if (b === 'webgpu') return cfg.name !== 'M'; // on llvmpipe (no GPU) M would take minutes a step
    if (b === 'wasm-threads' || b === 'blas-threads') return nCpu > 1;
    return true;
  });
}

function stepsFor(cfg: BenchConfig, backend: string): { steps: number; warmup: number } {
  if (values.steps) return { steps: Number(values.steps), warmup: Math.min(cfg.warmup, 3) };
  if (quick) return { steps: 10, warmup: 3 };
  const slow = backend === 'cpu' || backend === 'webgpu';
  if (backend === 'wasm-xnnpack' && cfg.name === 'M') return { steps: cfg.steps.slow, warmup: 1 };
  return { steps: slow ? cfg.steps.slow : cfg.steps.fast, warmup: slow ? 1 : cfg.warmup };
}

// The kernel sets both executors run under: the environment's, then the tuned one when it differs.
const envCore = process.env.OPENBLAS_CORETYPE?.trim() || undefined;
const tuned = tunedOpenBlasCoreType();
const KERNEL_SETS: KernelSet[] = [{ label: envCore ?? 'detected', core: envCore }];
if (tuned && tuned !== envCore) KERNEL_SETS.push({ label: tuned, core: tuned });
const bestKernels = KERNEL_SETS.at(-1)!; // multi-threaded rows and XNNPACK rows compare with this one

interface EngineVariant {
  tfBackend: string;
  threads: number;
  label: string;
  kernels?: KernelSet; // OpenBLAS rows only
  env: Record<string, string | undefined>;
}

/** How the engine rows of a backend run: tfjs backend, threads, label, kernels and environment. */
function engineVariants(backend: string): EngineVariant[] {
  if (backend === 'blas-threads') {
    return [
      {
        tfBackend: 'wasm',
        threads: nCpu,
        label: `engine wasm ${nCpu}t [${bestKernels.label}]`,
        kernels: bestKernels,
        env: { PRETRAIN_BLAS_THREADS: String(nCpu), OPENBLAS_CORETYPE: bestKernels.core },
      },
    ];
  }
  if (backend === 'wasm-threads') {
    return [
      {
        tfBackend: 'wasm',
        threads: nCpu,
        label: `engine wasm ${nCpu}t, wasm threads [${bestKernels.label}]`,
        kernels: bestKernels,
        env: { PRETRAIN_WASM_THREADS: String(nCpu), PRETRAIN_BLAS_THREADS: String(nCpu), OPENBLAS_CORETYPE: bestKernels.core },
      },
    ];
  }
  if (backend === 'wasm-xnnpack') return [{ tfBackend: 'wasm', threads: 1, label: 'engine wasm XNNPACK', env: { PRETRAIN_BLAS: 'off' } }];
  if (backend === 'wasm') {
    return KERNEL_SETS.map((kernels) => ({
      tfBackend: 'wasm',
      threads: 1,
      label: `engine wasm [${kernels.label}]`,
      kernels,
      env: { PRETRAIN_BLAS_THREADS: '1', OPENBLAS_CORETYPE: kernels.core },
    }));
  }
  return [{ tfBackend: backend, threads: 1, label: `engine ${backend}`, env: { PRETRAIN_BLAS_THREADS: '1' } }];
}

/** Torch rows: 1 thread under each kernel set, and every core under the best one. */
function torchVariants(): { label: string; threads: number; kernels: KernelSet }[] {
  const variants = KERNEL_SETS.map((kernels) => ({ label: `torch 1t [${kernels.label}]`, threads: 1, kernels }));
  if (quick) return variants.slice(-1); // CI smoke: the best kernels only
  if (nCpu > 1) variants.push({ label: `torch ${nCpu}t [${bestKernels.label}]`, threads: nCpu, kernels: bestKernels });
  return variants;
}

// ---------------------------------------------------------------- helpers
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[n >> 1] : (s[n / 2 - 1] + s[n / 2]) / 2;
};

/** A bench child's JSON line (child-json.ts), run from the repository root. */
const runJson = (cmd: string, args: string[], env: Record<string, string | undefined>, timeoutS: number) =>
  runChildJson(cmd, args, { cwd: ROOT, env, timeoutS });

/** A kernel set: its label and the OPENBLAS_CORETYPE it runs under (undefined: OpenBLAS detects). */
interface KernelSet {
  label: string;
  core?: string;
}

/** Thread counts for every BLAS, and the kernel set: OPENBLAS_CORETYPE set, or removed (undefined). */
const threadEnv = (threads: number, kernels: KernelSet): Record<string, string | undefined> => ({
  OMP_NUM_THREADS: String(threads),
  OPENBLAS_NUM_THREADS: String(threads),
  MKL_NUM_THREADS: String(threads),
  OPENBLAS_CORETYPE: kernels.core,
});

// ---------------------------------------------------------------- rows
interface Row {
  config: string;
  executor: string; // 'engine wasm [Haswell]', 'torch 1t [SkylakeX]', ...
  kernels?: string; // the kernel set's label, for rows on OpenBLAS
  kind: 'engine' | 'torch';
  threads: number;
  status: 'ok' | 'skipped' | 'failed';
  note?: string;
  steps?: number;
  msWall?: number; // median wall ms per step
  msCpu?: number; // median process CPU ms per step
  tokensPerSec?: number; // tokens per step / median wall step
  tokensPerCpuSec?: number; // tokens per step / median CPU step
  gflops?: number;
  mfu?: number; // against the measured peak at this thread count
  peakRssMb?: number;
  tensors?: string; // engine: numTensors at first / last timed step
  loss?: number;
  blasCore?: string;
  vsTorch?: number; // tokens/s ÷ torch 1 thread under the same kernels (the best ones for rows without), same config
  vsTorchCpu?: number; // the same ratio by CPU time per step (robust to a busy machine)
  evalRatio?: { wall: number; cpu: number }; // an eval batch ÷ a training step
  cpu?: number; // the CPU the row's main thread was pinned to (the faster of PIN_CPUS)
}

const started = new Date();
const load0 = loadavg();
const rows: Row[] = [];
const log = (s: string) => process.stdout.write(s + '\n');

// ---- peaks
log(`bench: configs ${configNames.join(',')}; backends ${backends.join(',')}; ${nCpu} CPUs; load ${load0.map((x) => x.toFixed(2)).join(' ')}`);
if (PIN_CPUS.length >= 2) log(`one-thread rows: once on each of CPUs ${PIN_CPUS.join(' and ')} (pinned), the faster kept`);
log(`kernel sets: ${KERNEL_SETS.map((k) => `${k.label}${k.core ? ` (OPENBLAS_CORETYPE=${k.core})` : ' (OpenBLAS detects)'}`).join(', ')}`);
const peaks: Record<string, { gflops: number; core?: string; detail?: unknown }> = {};
const torchOk = !values['no-torch'] && !runJson(PYTHON, ['-c', 'import torch, numpy; print("{}")'], {}, 60).error;
if (torchOk) {
  for (const { label, threads, kernels } of torchVariants()) {
    const args = [join(HERE, 'torch_bench.py'), '--peak', '--threads', String(threads)];
    const peak = (cpu: number | undefined) => runJson(...pinnedCommand(PYTHON, args, cpu), threadEnv(threads, kernels), 120);
    const { best: r, tries } = threads === 1 ? bestOverCpus(peak, (r) => r.json?.peak_gflops, gflopsOf('peak_gflops')) : { best: peak(undefined), tries: '' };
    if (r.json) {
      peaks[label] = { gflops: r.json.peak_gflops, core: r.json.core, detail: r.json.by_size };
      log(`peak fp32 GEMM ${label} (OpenBLAS core ${r.json.core}): ${r.json.peak_gflops.toFixed(1)} GFLOP/s${tries ? ` (best of ${tries})` : ''}`);
    }
  }
} else log('PyTorch not available (or --no-torch): torch rows and MFU peaks skipped');
for (const variant of [...engineVariants('wasm-xnnpack'), ...engineVariants('wasm')]) {
  const args = ['--import', 'tsx', join(HERE, 'engine-worker.ts'), '--peak', '--backend', 'wasm'];
  const peak = (cpu: number | undefined) => runJson(process.execPath, [...args, ...(cpu === undefined ? [] : ['--pin-cpu', String(cpu)])], variant.env, 120);
  const { best: r, tries } = bestOverCpus(peak, (r) => r.json?.peakGflops, gflopsOf('peakGflops'));
  if (r.json) {
    peaks[variant.label] = { gflops: r.json.peakGflops, detail: r.json.bySize, ...(r.json.matmul ? { core: r.json.matmul } : {}) };
    log(
      `peak fp32 matmul ${variant.label}${r.json.matmul ? ` (${r.json.matmul})` : ''}: ${r.json.peakGflops.toFixed(1)} GFLOP/s${tries ? ` (best of ${tries})` : ''}`,
    );
  }
}
/** Describes a peak measurement's result by its GFLOP/s field, for bestOverCpus. */
function gflopsOf(field: string): (r: { json?: any; error?: string }) => string {
  return (r) => (r.json ? `${r.json[field].toFixed(1)} GFLOP/s` : 'failed');
}
/** The torch GEMM peak for MFU: same thread count, same kernels (the best ones for rows without). */
const peakFor = (threads: number, kernels: KernelSet = bestKernels) =>
  peaks[`torch ${threads}t [${kernels.label}]`]?.gflops ?? peaks[`torch ${threads}t [${bestKernels.label}]`]?.gflops;

// ---- torch model files, written once from the exporter's sources
const modelDir = mkdtempSync(join(tmpdir(), 'pretrain-bench-'));
for (const f of ['model.py', 'optim.py', 'rng.py']) writeFileSync(join(modelDir, f), TORCH_SOURCES.get(f)!);

function finish(row: Row, cfg: BenchConfig, msWall: number[], msCpu: number[]): Row {
  const tokens = cfg.batch * cfg.model.contextLength;
  const w = median(msWall);
  const c = median(msCpu);
  const gflops = stepFlops(cfg.model, cfg.batch) / (w / 1000) / 1e9;
  const peak = peakFor(
    row.threads,
    KERNEL_SETS.find((k) => k.label === row.kernels),
  );
  return {
    ...row,
    status: 'ok',
    steps: msWall.length,
    msWall: w,
    msCpu: c,
    tokensPerSec: (tokens * 1000) / w,
    tokensPerCpuSec: (tokens * 1000) / c,
    gflops,
    ...(peak ? { mfu: gflops / peak } : {}),
  };
}

for (const cfg of configs) {
  log(
    `\n== ${cfg.name}: ${cfg.description} (${matmulParams(cfg.model).toLocaleString('en-US')} matmul params, ${(stepFlops(cfg.model, cfg.batch) / 1e9).toFixed(2)} GFLOP/step)`,
  );
  if (torchOk) {
    for (const variant of torchVariants()) rows.push(variant.threads === 1 ? fastestOverCpus((cpu) => torchRow(cfg, variant, cpu)) : torchRow(cfg, variant));
  }
  let evalMeasured = false;
  for (const backend of engineBackendsFor(cfg)) {
    for (const variant of engineVariants(backend)) {
      // One eval measurement per config, on the node executor's default path.
      const evalBatches: number = !evalMeasured && backend === 'wasm' ? (cfg.name === 'M' ? 2 : 10) : 0;
      evalMeasured ||= evalBatches > 0;
      const pinned = variant.threads === 1 && (backend === 'wasm' || backend === 'wasm-xnnpack');
      rows.push(pinned ? fastestOverCpus((cpu) => engineRow(cfg, backend, variant, evalBatches, cpu)) : engineRow(cfg, backend, variant, evalBatches));
    }
  }
}

/** Runs a one-thread row pinned to each CPU of PIN_CPUS (unpinned once without two) and keeps the faster. */
function fastestOverCpus(run: (cpu: number | undefined) => Row): Row {
  const { best, cpu, tries } = bestOverCpus(
    run,
    (row) => (row.status === 'ok' ? -row.msWall! : undefined),
    (row) => (row.status === 'ok' ? `${row.msWall!.toFixed(1)} ms` : row.status),
  );
  return cpu === undefined ? best : { ...best, cpu, note: [best.note, `faster of ${tries}`].filter(Boolean).join('; ') };
}

function onCpu(cpu: number | undefined): string {
  return cpu === undefined ? '' : ` (CPU ${cpu})`;
}

function torchRow(cfg: BenchConfig, { label, threads, kernels }: { label: string; threads: number; kernels: KernelSet }, cpu?: number): Row {
  const { steps, warmup } = stepsFor(cfg, 'torch');
  const args = [...torchBenchArgs(join(HERE, 'torch_bench.py'), modelDir, cfg, steps, warmup), '--threads', String(threads)];
  const r = runJson(...pinnedCommand(PYTHON, args, cpu), threadEnv(threads, kernels), 1800);
  const base: Row = { config: cfg.name, executor: label, kind: 'torch', threads, kernels: kernels.label, status: 'failed' };
  if (!r.json) {
    log(`  ${label}${onCpu(cpu)}: failed (${r.error})`);
    return { ...base, note: r.error };
  }
  const row = finish({ ...base, peakRssMb: r.json.peak_rss_mb, loss: r.json.loss, blasCore: r.json.core }, cfg, r.json.ms, r.json.cpu_ms);
  log(
    `  ${label.padEnd(24)} ${row.tokensPerSec!.toFixed(0).padStart(7)} tok/s  ${row.msWall!.toFixed(1)} ms/step (cpu ${row.msCpu!.toFixed(1)})  OpenBLAS ${r.json.core}${onCpu(cpu)}`,
  );
  return row;
}

function engineRow(cfg: BenchConfig, backend: string, variant: EngineVariant, evalBatches: number, cpu?: number): Row {
  const { tfBackend, threads, label, env } = variant;
  const { steps, warmup } = stepsFor(cfg, backend);
  const args = [
    '--import',
    'tsx',
    join(HERE, 'engine-worker.ts'),
    '--config',
    cfg.name,
    '--backend',
    tfBackend,
    '--steps',
    String(steps),
    '--warmup',
    String(warmup),
    '--eval-batches',
    String(evalBatches),
    ...(cpu === undefined ? [] : ['--pin-cpu', String(cpu)]),
  ];
  const r = runJson(process.execPath, args, env, 3600);
  const base: Row = {
    config: cfg.name,
    executor: label,
    kind: 'engine',
    threads,
    status: 'failed',
    ...(variant.kernels ? { kernels: variant.kernels.label } : {}),
  };
  const res = r.json as (EngineRow & { threads?: number; adapter?: string }) | undefined;
  if (!res || res.status !== 'completed') {
    const why = res?.error ?? r.error ?? 'unknown';
    const skipped = /needs the optional package|no WebGPU adapter|npm package webgpu/.test(why);
    log(`  ${label}${onCpu(cpu)}: ${skipped ? 'skipped' : 'failed'} (${why.slice(0, 200)})`);
    return { ...base, status: skipped ? 'skipped' : 'failed', note: why.slice(0, 300) };
  }
  const row = finish(
    {
      ...base,
      // The most threads anything in the row uses: the wasm kernels' (reported) or OpenBLAS's (asked).
      threads: Math.max(res.threads ?? threads, Number(env.PRETRAIN_BLAS_THREADS ?? 1)),
      peakRssMb: res.peakRssMb,
      loss: res.loss,
      tensors: `${res.tensorsAtFirst}/${res.tensorsAtLast}`,
      ...(res.adapter || res.matmul ? { note: res.adapter ?? `matmuls: ${res.matmul}` } : {}),
      ...(res.eval ? { evalRatio: { wall: res.eval.ratioWall, cpu: res.eval.ratioCpu } } : {}),
    },
    cfg,
    res.stepMs,
    res.cpuMs,
  );
  log(
    `  ${label.padEnd(24)} ${row.tokensPerSec!.toFixed(0).padStart(7)} tok/s  ${row.msWall!.toFixed(1)} ms/step (cpu ${row.msCpu!.toFixed(1)})  tensors ${row.tensors}${res.matmul ? `  ${res.matmul}` : ''}${onCpu(cpu)}`,
  );
  if (res.eval) {
    log(
      `  ${''.padEnd(24)} eval batch ${res.eval.msWall.toFixed(1)} ms (cpu ${res.eval.msCpu.toFixed(1)}) = ${res.eval.ratioWall.toFixed(2)} of a training step (cpu ${res.eval.ratioCpu.toFixed(2)}), ${res.eval.batches} batches`,
    );
  }
  return row;
}

// ---- ratios to PyTorch (1 thread), same config, same kernels
for (const row of rows) {
  if (row.status !== 'ok' || (row.kind === 'torch' && row.threads === 1)) continue;
  const kernels = row.kernels && row.threads === 1 ? row.kernels : bestKernels.label;
  const ref = rows.find((r) => r.config === row.config && r.executor === `torch 1t [${kernels}]` && r.status === 'ok');
  if (!ref) continue;
  row.vsTorch = row.tokensPerSec! / ref.tokensPerSec!;
  row.vsTorchCpu = row.tokensPerCpuSec! / ref.tokensPerCpuSec!;
}

// ---------------------------------------------------------------- output
const load1 = loadavg();
const meta = {
  started: started.toISOString(),
  finished: new Date().toISOString(),
  command: `node --import tsx bench/run.ts ${process.argv.slice(2).join(' ')}`.trim(),
  cpu: cpus()[0]?.model,
  cpus: nCpu,
  loadavgStart: load0,
  loadavgEnd: load1,
  node: process.version,
  tunedCoretype: tuned ?? null,
  kernelSets: KERNEL_SETS,
  pinnedCpus: PIN_CPUS.length >= 2 ? PIN_CPUS : null,
  flopsFormula: '6 * N_matmul * tokens + 12 * n_layers * B * T^2 * d_model (N_matmul: all [in,out] matrices incl. the output head)',
};
mkdirSync(values.out!, { recursive: true });
writeFileSync(join(values.out!, 'results.json'), JSON.stringify({ meta, peaks, rows }, null, 2) + '\n');

const f = (x: number | undefined, d = 0) => (x === undefined || !Number.isFinite(x) ? '' : x.toFixed(d));
const lines: string[] = [];
lines.push(`# Benchmark results`, '');
lines.push(`\`${meta.command}\` — ${meta.started}`, '');
lines.push(
  `Machine: ${meta.cpu} × ${nCpu}, Node ${process.version}; load average ${load0.map((x) => x.toFixed(2)).join(' ')} at start, ${load1.map((x) => x.toFixed(2)).join(' ')} at the end.`,
);
lines.push('');
lines.push('Peak fp32 GEMM (fastest of repeated square matmuls, best size):');
for (const [k, p] of Object.entries(peaks))
  lines.push(`- ${k}${p.core ? ` (OpenBLAS core ${p.core})` : ''}: ${p.gflops.toFixed(1)} GFLOP/s ${JSON.stringify(p.detail)}`);
lines.push('');
lines.push(
  `FLOPs per step = ${meta.flopsFormula}. GFLOP/s uses the median wall step; MFU divides by the torch GEMM peak at the row's thread count and kernels.`,
);
lines.push(
  '÷ torch 1t compares with torch on one thread under the same kernels (rows without OpenBLAS, and multi-threaded rows: the best kernels). eval ÷ step: one eval batch as a fraction of a training step, wall (cpu).',
);
lines.push(
  'tok/s (cpu) uses the median process CPU time per step instead of wall time: it is what the row would reach on idle cores when single-threaded (for multi-threaded rows it sums all threads).',
);
if (meta.pinnedCpus) {
  lines.push(
    `One-thread rows ran once on each of CPUs ${meta.pinnedCpus.join(' and ')} (the main thread pinned with taskset) and show the faster run; the note gives both.`,
  );
}
lines.push('');
lines.push(
  '| config | executor | kernels | threads | tok/s | ms/step | cpu ms/step | tok/s (cpu) | GFLOP/s | MFU | peak RSS MB | tensors first/last | ÷ torch 1t | ÷ torch 1t (cpu) | eval ÷ step | note |',
);
lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  if (r.status !== 'ok') {
    lines.push(
      `| ${r.config} | ${r.executor} | ${r.kernels ?? ''} | ${r.threads} | ${r.status} |  |  |  |  |  |  |  |  |  |  | ${(r.note ?? '').replace(/\|/g, '/').slice(0, 160)} |`,
    );
    continue;
  }
  const evalText = r.evalRatio ? `${f(r.evalRatio.wall, 2)} (${f(r.evalRatio.cpu, 2)})` : '';
  lines.push(
    `| ${r.config} | ${r.executor} | ${r.kernels ?? ''} | ${r.threads} | ${f(r.tokensPerSec)} | ${f(r.msWall, 1)} | ${f(r.msCpu, 1)} | ${f(r.tokensPerCpuSec)} | ${f(r.gflops, 1)} | ${r.mfu === undefined ? '' : `${(100 * r.mfu).toFixed(1)}%`} | ${f(r.peakRssMb)} | ${r.tensors ?? ''} | ${f(r.vsTorch, 2)} | ${f(r.vsTorchCpu, 2)} | ${evalText} | ${[r.blasCore ? `OpenBLAS ${r.blasCore}` : '', r.note ?? ''].filter(Boolean).join('; ')} |`,
  );
}
lines.push('');
const ratios = ratioLines(rows, peaks);
if (ratios.length) lines.push('Like against like:', '', ...ratios.map((l) => `- ${l}`), '');
writeFileSync(join(values.out!, 'results.md'), lines.join('\n'));
log(`\n${lines.slice(lines.indexOf(lines.find((l) => l.startsWith('| config'))!)).join('\n')}`);
log(`wrote ${join(values.out!, 'results.json')} and results.md`);
