// The steps of `npm run gpu:check` (bench/gpu-check.ts): probe the GPUs, export a pipeline,
// run train.py for loss parity and DDP, step the bench models, and try WebGPU on a Vulkan adapter.
// Each step returns plain JSON for bench/gpu-results.json and logs one line per result.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runJson as runChildJson } from './child-json';
import { benchConfig, benchPipeline, CONFIG_R, type BenchConfig, stepFlops, torchBenchArgs } from './configs';
import { compile } from '../engine/compiler/compile';
import { encodeNpy } from '../engine/data/npy';
import { TORCH_SOURCES } from '../engine/export/torch/export';
import { launchTorch } from '../engine/node/torch-launch';
import { writeTorchExport } from '../engine/node/torch-export';
import { Rng } from '../engine/random';
import { bf16PeakOf, DDP_BOUND, PARITY_BOUNDS } from './gpu-check-cards';

export interface GpuProbe {
  torch?: string; // torch.__version__, absent without PyTorch
  cuda?: string | null; // torch.version.cuda
  gpus: { name: string; memoryGb: number; capability: string }[];
  bf16: boolean; // torch.cuda.is_bf16_supported()
  compile: boolean; // torch.compile exists (PyTorch >= 2.0)
  nccl: boolean;
  error?: string;
}

export interface CheckContext {
  device: 'cuda' | 'cpu';
  steps: number; // parity steps
  benchSteps: number; // timed steps per bench row
  configs: BenchConfig[];
  python: string;
  root: string; // the repository
  work: string; // a scratch folder, removed afterwards
  probe: GpuProbe;
  log(line: string): void;
  /** Saves a section's results so far, so that a check stopped part way keeps what it finished. */
  record(section: 'parity' | 'ddp' | 'bench' | 'webgpu', value: unknown): void;
}

const PROBE_PY = `
import json
try:
    import torch, numpy
except Exception as e:
    print(json.dumps({"gpus": [], "bf16": False, "compile": False, "nccl": False, "error": repr(e)})); raise SystemExit
cuda = torch.cuda.is_available()
gpus = [{"name": torch.cuda.get_device_name(i), "memoryGb": round(torch.cuda.get_device_properties(i).total_memory / 2**30, 1),
         "capability": "%d.%d" % torch.cuda.get_device_capability(i)} for i in range(torch.cuda.device_count())] if cuda else []
import torch.distributed as dist
print(json.dumps({"torch": torch.__version__, "cuda": torch.version.cuda, "gpus": gpus, "bf16": bool(cuda and torch.cuda.is_bf16_supported()),
                  "compile": hasattr(torch, "compile"), "nccl": bool(dist.is_available() and dist.is_nccl_available())}))
`;

/** What `python` offers: its torch, the CUDA devices, bf16, torch.compile and NCCL. */
export function probeGpu(python: string): GpuProbe {
  const r = spawnSync(python, ['-c', PROBE_PY], { encoding: 'utf8', timeout: 120_000 });
  const line = (r.stdout ?? '').trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line) as GpuProbe;
  } catch {
    return { gpus: [], bf16: false, compile: false, nccl: false, error: r.error ? String(r.error) : (r.stderr || `exit ${r.status}`).trim().slice(-300) };
  }
}

/** Byte-level ids of a made-up text with some structure, so the loss falls within a few steps. */
function writeTokenData(dir: string): { train: string; valid: string } {
  mkdirSync(dir, { recursive: true });
  const rng = new Rng(3);
  const words = ['the ', 'cat ', 'sat ', 'on ', 'a ', 'mat. ', 'dog ', 'ran ', 'home, ', 'and '];
  const ids = new Uint16Array(120_000);
  for (let i = 0; i < ids.length;) for (const c of words[rng.index(words.length)]) if (i < ids.length) ids[i++] = c.charCodeAt(0);
  const paths = { train: join(dir, 'train_ids.npy'), valid: join(dir, 'valid_ids.npy') };
  writeFileSync(paths.train, encodeNpy(ids.subarray(0, 108_000)));
  writeFileSync(paths.valid, encodeNpy(ids.subarray(108_000)));
  return paths;
}

/**
 * Exports config R's bench loop (AdamW, cosine warmup, clip 1) with a log line every step; the
 * batch divides among all local GPUs, so the DDP run trains the same global batch.
 */
export async function prepareExport(ctx: CheckContext): Promise<{ exportDir: string }> {
  const data = writeTokenData(join(ctx.work, 'data'));
  const gpus = Math.max(1, ctx.probe.gpus.length);
  const batch = 16 % gpus === 0 ? 16 : 4 * gpus;
  const doc = benchPipeline({ name: 'R', description: 'parity', model: CONFIG_R, batch, steps: { fast: 1, slow: 1 }, warmup: 0 }, ctx.steps) as {
    nodes: { id: string; params: Record<string, unknown> }[];
  };
  for (const node of doc.nodes) {
    if (node.id === 'dataset') Object.assign(node.params, { train_path: data.train, valid_path: data.valid });
    if (node.id === 'log') node.params.every = 1;
  }
  const compiled = compile(doc);
  if (!compiled.ok) throw new Error(`parity pipeline: ${compiled.diagnostics.map((d) => `${d.nodeId}.${d.field}: ${d.message}`).join('; ')}`);
  const exportDir = join(ctx.work, 'export');
  await writeTorchExport(compiled.plan, exportDir);
  return { exportDir };
}

interface TrainRun {
  losses?: number[];
  seconds: number;
  error?: string;
}

/** Runs train.py (torchrun for nproc > 1) into a run folder of its own; the losses of its log. */
async function runTrain(
  ctx: CheckContext,
  exportDir: string,
  name: string,
  o: { device: 'cpu' | 'cuda'; dtype: 'float32' | 'bfloat16'; compile: boolean; nproc?: number },
): Promise<TrainRun> {
  const outDir = join(ctx.work, `run-${name}`);
  const started = performance.now();
  const run = launchTorch({
    exportDir,
    outDir,
    python: ctx.python,
    device: o.device,
    dtype: o.dtype,
    compile: o.compile,
    nproc: o.nproc,
    steps: ctx.steps,
    init: 'torch',
  });
  let output = '';
  run.child.stdout?.on('data', (d) => (output += d));
  run.child.stderr?.on('data', (d) => (output += d));
  const timer = setTimeout(() => run.child.kill('SIGKILL'), 600_000);
  const { code, signal } = await run.done.finally(() => clearTimeout(timer));
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) return { seconds, error: `exit ${code ?? signal}: ${output.trim().split('\n').slice(-4).join(' | ').slice(0, 600)}` };
  const lines = readFileSync(join(outDir, 'train_log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { loss: number });
  return { seconds, losses: lines.map((l) => l.loss) };
}

/** Largest |a - b| / |b| over two loss curves of the same length. */
export function maxRelativeDifference(a: number[], b: number[]): number {
  if (a.length !== b.length || a.length === 0) throw new Error(`loss curves of ${a.length} and ${b.length} steps cannot be compared`);
  return Math.max(...a.map((x, i) => Math.abs(x - b[i]) / Math.abs(b[i])));
}

export interface ParityResult {
  name: string;
  status: 'ok' | 'failed' | 'skipped';
  device: string;
  dtype: string;
  compile: boolean;
  maxRelDiff?: number;
  bound?: number;
  seconds?: number;
  losses?: number[];
  note?: string;
}

/** The CPU float32 reference, then float32 and bf16 on the device, each with --compile off and on. */
export async function parityChecks(ctx: CheckContext, exported: { exportDir: string }): Promise<ParityResult[]> {
  const reference = await runTrain(ctx, exported.exportDir, 'reference', { device: 'cpu', dtype: 'float32', compile: false });
  const results: ParityResult[] = [
    {
      name: 'cpu float32 (reference)',
      status: reference.losses ? 'ok' : 'failed',
      device: 'cpu',
      dtype: 'float32',
      compile: false,
      seconds: reference.seconds,
      losses: reference.losses,
      note: reference.error,
    },
  ];
  ctx.log(`parity reference (cpu float32): ${reference.losses ? `final loss ${reference.losses.at(-1)!.toFixed(4)}` : reference.error}`);
  ctx.record('parity', results);
  if (!reference.losses) return results;
  for (const dtype of ['float32', 'bfloat16'] as const) {
    for (const compile of [false, true]) {
      const name = `${ctx.device} ${dtype}${compile ? ' compiled' : ''}`;
      const base = { name, device: ctx.device, dtype, compile, bound: PARITY_BOUNDS[dtype] };
      if (compile && !ctx.probe.compile) {
        results.push({ ...base, status: 'skipped', note: `--compile needs PyTorch >= 2.0 (this is ${ctx.probe.torch})` });
        ctx.log(`parity ${name}: skipped (no torch.compile in PyTorch ${ctx.probe.torch})`);
        continue;
      }
      const run = await runTrain(ctx, exported.exportDir, `parity-${name.replace(/ /g, '-')}`, { device: ctx.device, dtype, compile });
      if (!run.losses) {
        results.push({ ...base, status: 'failed', seconds: run.seconds, note: run.error });
        ctx.log(`parity ${name}: failed (${run.error})`);
        continue;
      }
      const diff = maxRelativeDifference(run.losses, reference.losses);
      results.push({ ...base, status: diff <= base.bound ? 'ok' : 'failed', maxRelDiff: diff, seconds: run.seconds, losses: run.losses });
      ctx.log(`parity ${name}: max relative loss difference ${diff.toExponential(2)} (bound ${base.bound}) in ${run.seconds.toFixed(1)} s`);
      ctx.record('parity', results);
    }
  }
  return results;
}

/** torchrun over every local GPU (NCCL) against the one-GPU float32 run, when there are several. */
export async function ddpCheck(ctx: CheckContext, exported: { exportDir: string }): Promise<ParityResult> {
  const gpus = ctx.probe.gpus.length;
  const base = { name: `ddp ${gpus} GPUs float32`, device: ctx.device, dtype: 'float32', compile: false, bound: DDP_BOUND };
  if (ctx.device !== 'cuda' || gpus < 2) {
    const note = ctx.device !== 'cuda' ? 'rehearsal on the CPU' : 'one GPU';
    ctx.log(`ddp: skipped (${note})`);
    return { ...base, status: 'skipped', note };
  }
  const one = await runTrain(ctx, exported.exportDir, 'ddp-single', { device: 'cuda', dtype: 'float32', compile: false });
  const all = await runTrain(ctx, exported.exportDir, 'ddp-all', { device: 'cuda', dtype: 'float32', compile: false, nproc: gpus });
  if (!one.losses || !all.losses) return { ...base, status: 'failed', note: one.error ?? all.error };
  const diff = maxRelativeDifference(all.losses, one.losses);
  ctx.log(
    `ddp over ${gpus} GPUs (${ctx.probe.nccl ? 'NCCL' : 'no NCCL!'}): max relative loss difference ${diff.toExponential(2)} (bound ${DDP_BOUND}), ${all.seconds.toFixed(1)} s vs ${one.seconds.toFixed(1)} s`,
  );
  return {
    ...base,
    status: diff <= DDP_BOUND ? 'ok' : 'failed',
    maxRelDiff: diff,
    seconds: all.seconds,
    losses: all.losses,
    note: ctx.probe.nccl ? 'NCCL' : 'NCCL unavailable',
  };
}

const runJson = (cmd: string, args: string[], cwd: string, env: Record<string, string>, timeoutS: number) => runChildJson(cmd, args, { cwd, env, timeoutS });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** Bench rows: each config with the exporter's model and the plain loop, bf16 autocast; MFU against the card's peak. */
export function benchRows(ctx: CheckContext) {
  const modelDir = join(ctx.work, 'model');
  mkdirSync(modelDir, { recursive: true });
  for (const f of ['model.py', 'optim.py', 'rng.py']) writeFileSync(join(modelDir, f), TORCH_SOURCES.get(f)!);
  const bench = join(ctx.root, 'bench', 'torch_bench.py');
  const card = ctx.device === 'cuda' ? bf16PeakOf(ctx.probe.gpus[0].name) : undefined;
  const measured =
    ctx.device === 'cuda' ? runJson(ctx.python, [bench, '--peak', '--device', 'cuda', '--dtype', 'bfloat16'], ctx.root, {}, 300).json : undefined;
  if (measured)
    ctx.log(
      `bf16 GEMM peak measured: ${(measured.peak_gflops / 1000).toFixed(0)} TFLOP/s; ${card ? `${card.name} spec ${card.bf16Tflops}` : 'card not in the table: no MFU'}`,
    );
  const peaks = { cardTflops: card?.bf16Tflops, measuredTflops: measured ? measured.peak_gflops / 1000 : undefined };
  const summary = {
    card: card ?? null,
    measuredPeakTflops: peaks.measuredTflops ?? null,
    flopsFormula: '6 * N_matmul * tokens + 12 * n_layers * B * T^2 * d_model',
    rows: [] as Record<string, unknown>[],
  };
  for (const cfg of ctx.configs) {
    for (const model of ['exporter', 'plain'] as const) {
      summary.rows.push(benchRow(ctx, { bench, modelDir, cfg, model, peaks }));
      ctx.record('bench', summary);
    }
  }
  return summary;
}

interface BenchRowSpec {
  bench: string; // torch_bench.py
  modelDir: string; // the exporter's model.py, optim.py, rng.py
  cfg: BenchConfig;
  model: 'exporter' | 'plain';
  peaks: { cardTflops?: number; measuredTflops?: number }; // bf16, for MFU
}

/** One bench row: `model` stepped in bf16 autocast for the config, timed by torch_bench.py. */
function benchRow(ctx: CheckContext, { bench, modelDir, cfg, model, peaks }: BenchRowSpec): Record<string, unknown> {
  const args = [
    ...torchBenchArgs(bench, modelDir, cfg, ctx.benchSteps, Math.min(cfg.warmup, 3)),
    '--device',
    ctx.device,
    '--dtype',
    'bfloat16',
    '--model',
    model,
  ];
  const r = runJson(ctx.python, args, ctx.root, { OMP_NUM_THREADS: '1' }, 600);
  const base = { config: cfg.name, description: cfg.description, model, dtype: 'bfloat16' };
  if (!r.json) {
    ctx.log(`bench ${cfg.name} ${model}: failed (${r.error})`);
    return { ...base, status: 'failed', note: r.error };
  }
  const ms = median(r.json.ms as number[]);
  const tflops = stepFlops(cfg.model, cfg.batch) / (ms / 1000) / 1e12;
  const row = {
    ...base,
    status: 'ok',
    msStep: ms,
    tokensPerSec: (cfg.batch * cfg.model.contextLength * 1000) / ms,
    tflops,
    mfu: peaks.cardTflops ? tflops / peaks.cardTflops : null,
    mfuOfMeasuredPeak: peaks.measuredTflops ? tflops / peaks.measuredTflops : null,
    params: r.json.params,
    loss: r.json.loss,
    peakGpuMb: r.json.peak_gpu_mb ?? null,
  };
  ctx.log(
    `bench ${cfg.name} ${model.padEnd(8)} ${row.tokensPerSec.toFixed(0).padStart(9)} tok/s  ${ms.toFixed(1)} ms/step  ${tflops.toFixed(1)} TFLOP/s${row.mfu === null ? '' : `  MFU ${(100 * row.mfu).toFixed(1)}%`}`,
  );
  return row;
}

/** Config R on tfjs's WebGPU backend in Node (Dawn), asked for a Vulkan adapter; skipped on a CPU one. */
export function webGpuRow(ctx: CheckContext) {
  // Beside this module, with this process's loader flags: engine-worker.ts under tsx, or the bundled
  // engine-worker.mjs in a gpu:pack folder (bench/gpu-pack.ts).
  const here = fileURLToPath(import.meta.url);
  const worker = join(dirname(here), `engine-worker${extname(here)}`);
  const r = runJson(
    process.execPath,
    [...process.execArgv, worker, '--config', 'R', '--backend', 'webgpu', '--steps', '10', '--warmup', '3'],
    ctx.root,
    { PRETRAIN_WEBGPU_OPTIONS: 'backend=vulkan' },
    600,
  );
  const res = r.json as { status: string; error?: string; adapter?: string; stepMs?: number[] } | undefined;
  if (!res || res.status !== 'completed') {
    const note = res?.error ?? r.error ?? 'unknown';
    ctx.log(`webgpu: skipped (${note.slice(0, 200)})`);
    return { status: 'skipped', note };
  }
  if (/llvmpipe|lavapipe|swiftshader|software/i.test(res.adapter ?? '')) {
    ctx.log(`webgpu: skipped (Dawn's Vulkan adapter is a CPU one: ${res.adapter})`);
    return { status: 'skipped', note: `CPU adapter: ${res.adapter}` };
  }
  const ms = median(res.stepMs!);
  const r16 = benchConfig('R');
  const tokensPerSec = (r16.batch * r16.model.contextLength * 1000) / ms;
  ctx.log(`webgpu R on ${res.adapter}: ${tokensPerSec.toFixed(0)} tok/s, ${ms.toFixed(1)} ms/step`);
  return { status: 'ok', config: 'R', adapter: res.adapter, msStep: ms, tokensPerSec };
}
