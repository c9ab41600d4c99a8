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
// PyTorch's BLAS: Debian's torch calls the system libblas (OpenBLAS via update-alternatives).
// OpenBLAS picks its kernels by CPU model; in a VM with a generic model name it can fall back to
// "Prescott" (SSE3) kernels, several times slower than the CPU allows. The bench runs torch both
// with OpenBLAS's own choice ("auto") and with OPENBLAS_CORETYPE set from the CPU flags ("tuned":
// SkylakeX for AVX-512, Haswell for AVX2), and states which core each row used.
//
// Engine rows: "wasm" is the node executor as it runs by default (tfjs wasm, matmuls on the native
// BLAS when koffi and OpenBLAS load, engine/node/blas.ts); "wasm-xnnpack" is the same without the
// native BLAS (matmuls on XNNPACK, as in a browser); "wasm-threads" uses every core for both.
//
// Usage: node --import tsx bench/run.ts [--quick] [--configs R,S4,S16,M] [--backends wasm,wasm-xnnpack,cpu,webgpu,tensorflow,wasm-threads]
//        [--no-torch] [--steps N] [--out DIR]
//        node --import tsx bench/run.ts --memory   # the memory checks of bench/memory.ts instead
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { TORCH_SOURCES } from '../engine/export/torch/export';
import { tunedOpenBlasCoreType } from '../engine/node/blas';
import { BENCH_CONFIGS, type BenchConfig, matmulParams, stepFlops, torchModelConfig } from './configs';
import type { EngineRow } from './engine-worker';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    configs: { type: 'string' },
    backends: { type: 'string' },
    'no-torch': { type: 'boolean', default: false },
    steps: { type: 'string' },
    out: { type: 'string', default: HERE },
    memory: { type: 'boolean', default: false },
  },
});

if (values.memory) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(HERE, 'memory.ts')], { cwd: ROOT, stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const quick = values.quick!;
const configNames = (values.configs ?? (quick ? 'R' : BENCH_CONFIGS.map((c) => c.name).join(','))).split(',');
const configs = configNames.map((n) => {
  const c = BENCH_CONFIGS.find((x) => x.name === n);
  if (!c) throw new Error(`unknown config ${n} (have ${BENCH_CONFIGS.map((x) => x.name).join(', ')})`);
  return c;
});
const backends = (values.backends ?? (quick ? 'wasm,wasm-xnnpack' : 'wasm,wasm-xnnpack,wasm-threads,cpu,webgpu,tensorflow')).split(',');
const nCpu = cpus().length;

/** Which engine backends run which configs: the software-slow ones only get the small configs. */
function engineBackendsFor(cfg: BenchConfig): string[] {
  return backends.filter((b) => {
    if (b === 'cpu') return cfg.name === 'R'; // ~100 tokens/s: one small config is enough to see it
    if (b === 'webgpu') return cfg.name !== 'M'; // on llvmpipe (no GPU) M would take minutes a step
    if (b === 'wasm-threads') return nCpu > 1;
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

/** How an engine row runs: tfjs backend, threads, label and environment. */
function engineVariant(backend: string): { tfBackend: string; threads: number; label: string; env: Record<string, string> } {
  if (backend === 'wasm-threads') {
    return {
      tfBackend: 'wasm', threads: nCpu, label: `engine wasm ${nCpu}t`,
      env: { PRETRAIN_WASM_THREADS: String(nCpu), PRETRAIN_BLAS_THREADS: String(nCpu) },
    };
  }
  if (backend === 'wasm-xnnpack') return { tfBackend: 'wasm', threads: 1, label: 'engine wasm XNNPACK', env: { PRETRAIN_BLAS: 'off' } };
  return { tfBackend: backend, threads: 1, label: `engine ${backend}`, env: { PRETRAIN_BLAS_THREADS: '1' } };
}

// ---------------------------------------------------------------- helpers
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[n >> 1] : (s[n / 2 - 1] + s[n / 2]) / 2;
};

function runJson(cmd: string, args: string[], env: Record<string, string>, timeoutS: number): { json?: any; error?: string } {
  const r = spawnSync(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', timeout: timeoutS * 1000, maxBuffer: 64 << 20 });
  const last = (r.stdout ?? '').trim().split('\n').filter((l) => l.startsWith('{')).at(-1);
  if (r.status === 0 && last) return { json: JSON.parse(last) };
  const why = r.error ? String(r.error) : (r.stderr ?? '').trim().split('\n').filter((l) => !/artificially reduced|^\s+at /.test(l)).slice(-3).join(' | ');
  return { error: why || `exit ${r.status}` };
}

const threadEnv = (threads: number, coretype?: string): Record<string, string> => ({
  OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads),
  ...(coretype ? { OPENBLAS_CORETYPE: coretype } : {}),
});

// ---------------------------------------------------------------- rows
interface Row {
  config: string;
  executor: string; // 'engine wasm', 'torch 1t tuned', ...
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
  vsTorch?: number; // tokens/s ÷ torch 1 thread tuned, same config
  vsTorchAuto?: number; // tokens/s ÷ torch 1 thread with OpenBLAS's own kernel choice
  vsTorchCpu?: number; // the same ratio by CPU time per step (robust to a busy machine)
}

const started = new Date();
const load0 = loadavg();
const rows: Row[] = [];
const log = (s: string) => process.stdout.write(s + '\n');

// ---- peaks
log(`bench: configs ${configNames.join(',')}; backends ${backends.join(',')}; ${nCpu} CPUs; load ${load0.map((x) => x.toFixed(2)).join(' ')}`);
const tuned = tunedOpenBlasCoreType(); // what the node executor sets for itself (engine/node/blas.ts)
const peaks: Record<string, { gflops: number; core?: string; detail?: unknown }> = {};
const torchOk = !values['no-torch'] && !runJson(PYTHON, ['-c', 'import torch, numpy; print("{}")'], {}, 60).error;
if (torchOk) {
  const variants: [string, number, string | undefined][] = [['torch 1t auto', 1, undefined]];
  if (tuned) variants.push(['torch 1t tuned', 1, tuned]);
  if (nCpu > 1 && !quick) variants.push([`torch ${nCpu}t tuned`, nCpu, tuned]);
  for (const [label, threads, core] of variants) {
    const r = runJson(PYTHON, [join(HERE, 'torch_bench.py'), '--peak', '--threads', String(threads)], threadEnv(threads, core), 120);
    if (r.json) {
      peaks[label] = { gflops: r.json.peak_gflops, core: r.json.core, detail: r.json.by_size };
      log(`peak fp32 GEMM (${label}, OpenBLAS core ${r.json.core}): ${r.json.peak_gflops.toFixed(1)} GFLOP/s`);
    }
  }
} else log('PyTorch not available (or --no-torch): torch rows and MFU peaks skipped');
for (const variant of ['wasm-xnnpack', 'wasm']) {
  const { label, env } = engineVariant(variant);
  const r = runJson(process.execPath, ['--import', 'tsx', join(HERE, 'engine-worker.ts'), '--peak', '--backend', 'wasm'], env, 120);
  if (r.json) {
    const name = r.json.matmul ? `${label} (${r.json.matmul})` : label;
    peaks[name] = { gflops: r.json.peakGflops, detail: r.json.bySize };
    log(`peak fp32 matmul on ${name}: ${r.json.peakGflops.toFixed(1)} GFLOP/s`);
  }
}
const peakFor = (threads: number) =>
  (threads > 1 ? peaks[`torch ${threads}t tuned`] : peaks['torch 1t tuned'] ?? peaks['torch 1t auto'])?.gflops;

// ---- torch model files, written once from the exporter's sources
const modelDir = mkdtempSync(join(tmpdir(), 'pretrain-bench-'));
for (const f of ['model.py', 'optim.py', 'rng.py']) writeFileSync(join(modelDir, f), TORCH_SOURCES.get(f)!);

function finish(row: Row, cfg: BenchConfig, msWall: number[], msCpu: number[]): Row {
  const tokens = cfg.batch * cfg.model.contextLength;
  const w = median(msWall);
  const c = median(msCpu);
  const gflops = stepFlops(cfg.model, cfg.batch) / (w / 1000) / 1e9;
  const peak = peakFor(row.threads);
  return {
    ...row, status: 'ok', steps: msWall.length, msWall: w, msCpu: c, tokensPerSec: (tokens * 1000) / w, tokensPerCpuSec: (tokens * 1000) / c,
    gflops, ...(peak ? { mfu: gflops / peak } : {}),
  };
}

for (const cfg of configs) {
  log(`\n== ${cfg.name}: ${cfg.description} (${matmulParams(cfg.model).toLocaleString('en-US')} matmul params, ${(stepFlops(cfg.model, cfg.batch) / 1e9).toFixed(2)} GFLOP/step)`);
  // -- PyTorch
  if (torchOk) {
    const variants: [string, number, string | undefined][] = [['torch 1t auto', 1, undefined]];
    if (tuned) variants.push(['torch 1t tuned', 1, tuned]);
    if (nCpu > 1 && !quick) variants.push([`torch ${nCpu}t tuned`, nCpu, tuned]);
    if (quick && tuned) variants.shift(); // CI smoke: the tuned row only
    for (const [label, threads, core] of variants) {
      const { steps, warmup } = stepsFor(cfg, 'torch');
      const args = [join(HERE, 'torch_bench.py'), '--model-dir', modelDir, '--config', JSON.stringify(torchModelConfig(cfg.model)),
        '--batch', String(cfg.batch), '--steps', String(steps), '--warmup', String(warmup), '--threads', String(threads)];
      const r = runJson(PYTHON, args, threadEnv(threads, core), 1800);
      const base: Row = { config: cfg.name, executor: label, kind: 'torch', threads, status: 'failed' };
      if (!r.json) {
        rows.push({ ...base, note: r.error });
        log(`  ${label}: failed (${r.error})`);
        continue;
      }
      const row = finish({ ...base, peakRssMb: r.json.peak_rss_mb, loss: r.json.loss, blasCore: r.json.core }, cfg, r.json.ms, r.json.cpu_ms);
      rows.push(row);
      log(`  ${label.padEnd(16)} ${row.tokensPerSec!.toFixed(0).padStart(7)} tok/s  ${row.msWall!.toFixed(1)} ms/step (cpu ${row.msCpu!.toFixed(1)})  core ${r.json.core}`);
    }
  }
  // -- engine
  for (const backend of engineBackendsFor(cfg)) {
    const { tfBackend, threads, label, env } = engineVariant(backend);
    const { steps, warmup } = stepsFor(cfg, backend);
    const args = ['--import', 'tsx', join(HERE, 'engine-worker.ts'), '--config', cfg.name, '--backend', tfBackend, '--steps', String(steps), '--warmup', String(warmup)];
    const r = runJson(process.execPath, args, env, 3600);
    const base: Row = { config: cfg.name, executor: label, kind: 'engine', threads, status: 'failed' };
    const res = r.json as (EngineRow & { threads?: number; adapter?: string }) | undefined;
    if (!res || res.status !== 'completed') {
      const why = res?.error ?? r.error ?? 'unknown';
      const skipped = /needs the optional package|no WebGPU adapter|npm package webgpu/.test(why);
      rows.push({ ...base, status: skipped ? 'skipped' : 'failed', note: why.slice(0, 300) });
      log(`  ${label}: ${skipped ? 'skipped' : 'failed'} (${why.slice(0, 200)})`);
      continue;
    }
    const row = finish({
      ...base, threads: res.threads ?? threads, peakRssMb: res.peakRssMb, loss: res.loss, tensors: `${res.tensorsAtFirst}/${res.tensorsAtLast}`,
      ...(res.adapter || res.matmul ? { note: res.adapter ?? `matmuls: ${res.matmul}` } : {}),
    }, cfg, res.stepMs, res.cpuMs);
    rows.push(row);
    log(`  ${label.padEnd(16)} ${row.tokensPerSec!.toFixed(0).padStart(7)} tok/s  ${row.msWall!.toFixed(1)} ms/step (cpu ${row.msCpu!.toFixed(1)})  tensors ${row.tensors}`);
  }
}

// ---- ratios to PyTorch (1 thread), same config
for (const row of rows) {
  if (row.status !== 'ok') continue;
  const ref = rows.find((r) => r.config === row.config && r.executor === 'torch 1t tuned' && r.status === 'ok');
  const refAuto = rows.find((r) => r.config === row.config && r.executor === 'torch 1t auto' && r.status === 'ok');
  if (ref) row.vsTorch = row.tokensPerSec! / ref.tokensPerSec!;
  if (ref) row.vsTorchCpu = row.tokensPerCpuSec! / ref.tokensPerCpuSec!;
  if (refAuto) row.vsTorchAuto = row.tokensPerSec! / refAuto.tokensPerSec!;
}

// ---------------------------------------------------------------- output
const load1 = loadavg();
const meta = {
  started: started.toISOString(), finished: new Date().toISOString(), command: `node --import tsx bench/run.ts ${process.argv.slice(2).join(' ')}`.trim(),
  cpu: cpus()[0]?.model, cpus: nCpu, loadavgStart: load0, loadavgEnd: load1, node: process.version, tunedCoretype: tuned ?? null,
  flopsFormula: '6 * N_matmul * tokens + 12 * n_layers * B * T^2 * d_model (N_matmul: all [in,out] matrices incl. the output head)',
};
writeFileSync(join(values.out!, 'results.json'), JSON.stringify({ meta, peaks, rows }, null, 2) + '\n');

const f = (x: number | undefined, d = 0) => (x === undefined || !Number.isFinite(x) ? '' : x.toFixed(d));
const lines: string[] = [];
lines.push(`# Benchmark results`, '');
lines.push(`\`${meta.command}\` — ${meta.started}`, '');
lines.push(`Machine: ${meta.cpu} × ${nCpu}, Node ${process.version}; load average ${load0.map((x) => x.toFixed(2)).join(' ')} at start, ${load1.map((x) => x.toFixed(2)).join(' ')} at the end.`);
lines.push('');
lines.push('Peak fp32 GEMM (fastest of repeated square matmuls, best size):');
for (const [k, p] of Object.entries(peaks)) lines.push(`- ${k}${p.core ? ` (OpenBLAS core ${p.core})` : ''}: ${p.gflops.toFixed(1)} GFLOP/s ${JSON.stringify(p.detail)}`);
lines.push('');
lines.push(`FLOPs per step = ${meta.flopsFormula}. GFLOP/s uses the median wall step; MFU divides by the torch GEMM peak at the row's thread count (tuned core).`);
lines.push('tok/s (cpu) uses the median process CPU time per step instead of wall time: it is what the row would reach on idle cores when single-threaded (for multi-threaded rows it sums all threads).');
lines.push('');
lines.push('| config | executor | threads | tok/s | ms/step | cpu ms/step | tok/s (cpu) | GFLOP/s | MFU | peak RSS MB | tensors first/last | ÷ torch 1t tuned | ÷ torch 1t tuned (cpu) | ÷ torch 1t auto | note |');
lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  if (r.status !== 'ok') {
    lines.push(`| ${r.config} | ${r.executor} | ${r.threads} | ${r.status} |  |  |  |  |  |  |  |  |  |  | ${(r.note ?? '').replace(/\|/g, '/').slice(0, 160)} |`);
    continue;
  }
  lines.push(`| ${r.config} | ${r.executor} | ${r.threads} | ${f(r.tokensPerSec)} | ${f(r.msWall, 1)} | ${f(r.msCpu, 1)} | ${f(r.tokensPerCpuSec)} | ${f(r.gflops, 1)} | ${r.mfu === undefined ? '' : `${(100 * r.mfu).toFixed(1)}%`} | ${f(r.peakRssMb)} | ${r.tensors ?? ''} | ${f(r.vsTorch, 2)} | ${f(r.vsTorchCpu, 2)} | ${f(r.vsTorchAuto, 2)} | ${[r.blasCore ? `OpenBLAS ${r.blasCore}` : '', r.note ?? ''].filter(Boolean).join('; ')} |`);
}
lines.push('');
writeFileSync(join(values.out!, 'results.md'), lines.join('\n'));
log(`\n${lines.slice(lines.indexOf(lines.find((l) => l.startsWith('| config'))!)).join('\n')}`);
log(`wrote ${join(values.out!, 'results.json')} and results.md`);
