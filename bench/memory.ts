// Memory checks of the engine (`npm run bench:memory`, and bench/memory.test.ts):
//   1. tensorsStayFlat: 1,000 training steps of a tiny model through the real runtime (with eval,
//      sample, checkpoint and log nodes firing along the way) keep tf.memory().numTensors and the
//      backend's buffer count flat.
//   2. bigFileRss: a 2 GB uint16 ids file (sparse: a real header, a few real windows, zeros
//      elsewhere, which are valid token ids) trains a few steps through nodeIO / trainPipeline in
//      a child process whose peak RSS must stay under 1 GB: windows are read on demand, never the
//      whole file. The child runs twice: with meta.json beside the file (what the tokenizer
//      writes; no scan) and without it (the dataset node then scans the whole file for the
//      largest id, in bounded chunks).
//   3. estimateVsMeasured: each bench config (R, S4, S16, M of bench/configs.ts) trains a few steps
//      in its own child process, twice; the larger peak RSS above the baseline (tfjs loaded, data in
//      memory; a small config's peak moves by up to ~15 MB from one run to the next) and
//      the bytes tf.memory() holds between steps are set against engine/memory/estimate.ts, which
//      must be within 25% of the measured peak. With --torch, the same configs train in PyTorch
//      (bench/torch_bench.py, the exporter's model.py and optim.py) and the torch estimate, which
//      counts the Python process itself, is set against its whole peak RSS.
// Usage: node --import tsx bench/memory.ts [--steps 1000] [--gb 2] [--skip-scan] [--estimate-only] [--configs R,S4,S16,M] [--torch]
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { compile } from '../engine/compiler/compile';
import { DEFAULT_PYTHON } from '../engine/node/torch-launch';
import { TORCH_SOURCES } from '../engine/export/torch/export';
import { estimateMemory } from '../engine/memory/estimate';
import { encodeNpy, encodeNpyHeader } from '../engine/data/npy';
import type { RunEvent } from '../engine/events';
import { trainPipeline } from '../engine/node/train';
import { Rng } from '../engine/random';
import { memoryIO } from '../engine/runtime/memory-io';
import { runPlan } from '../engine/runtime/run';
import { useBackend } from '../engine/node/backend';
import { runJson } from './child-json';
import { BENCH_CONFIGS, benchPipeline, torchBenchArgs } from './configs';

const HERE = fileURLToPath(new URL('.', import.meta.url));

/** A tiny pipeline over files train_ids.npy / valid_ids.npy: the standard loop plus every output node. */
function tinyPipeline(steps: number, every: { eval: number; sample: number; checkpoint: number }, paths?: { train: string; valid: string }): unknown {
  const node = (id: string, params: Record<string, unknown>) => ({ id, type: id, params, position: { x: 0, y: 0 } });
  const edge = (s: string, sh: string, t: string, th: string) => ({ id: `${s}.${sh}->${t}.${th}`, source: s, sourceHandle: sh, target: t, targetHandle: th });
  return {
    version: 1,
    meta: { name: 'memory check' },
    training: { steps, seed: 7 },
    nodes: [
      node('dataset', { source: 'files', train_path: paths?.train ?? 'train_ids.npy', valid_path: paths?.valid ?? 'valid_ids.npy' }),
      node('get_batch', { batch_size: 2, context_length: 8, seed: 1 }),
      node('model', { vocab_size: 64, context_length: 8, d_model: 16, n_layers: 1, n_heads: 2, d_ff: 32 }),
      node('loss', {}),
      node('backward', { grad_accum_steps: 1 }),
      node('clip', { max_norm: 1 }),
      node('scheduler', { kind: 'cosine', lr: 1e-2, min_lr: 1e-3, warmup_steps: 5 }),
      node('optimizer', { kind: 'adamw' }),
      node('eval', { every: every.eval, batches: 2, batch_size: 2 }),
      node('checkpoint', { every: every.checkpoint, keep_last: 2 }),
      node('log', { every: 50 }),
      node('sample', { every: every.sample, prompt: '', max_new_tokens: 4 }),
    ],
    edges: [
      edge('dataset', 'train', 'get_batch', 'tokens'),
      edge('get_batch', 'x', 'model', 'x'),
      edge('model', 'logits', 'loss', 'logits'),
      edge('get_batch', 'y', 'loss', 'targets'),
      edge('loss', 'loss', 'backward', 'loss'),
      edge('backward', 'grads', 'clip', 'grads'),
      edge('clip', 'grads', 'optimizer', 'grads'),
      edge('scheduler', 'lr', 'optimizer', 'lr'),
      edge('model', 'model', 'optimizer', 'model'),
      edge('optimizer', 'model', 'eval', 'model'),
      edge('dataset', 'valid', 'eval', 'data'),
      edge('optimizer', 'model', 'checkpoint', 'model'),
      edge('backward', 'loss', 'log', 'loss'),
      edge('optimizer', 'model', 'sample', 'model'),
      edge('dataset', 'train', 'sample', 'data'),
    ],
  };
}

export interface FlatResult {
  steps: number;
  status: string;
  seconds: number;
  tensors: { afterWarmup: number; last: number; min: number; max: number }; // tf.memory().numTensors at step events
  buffers: { afterWarmup: number; last: number }; // backend.numDataIds(): buffers the backend holds
}

/**
 * Trains `steps` steps of a tiny model in this process (wasm) and reports the live tensor count
 * at every step event after a 10-step warm-up. Flat means afterWarmup === last === min === max.
 * @example
 *   const r = await tensorsStayFlat(1000); // r.tensors.max - r.tensors.min === 0
 */
export async function tensorsStayFlat(steps = 1000): Promise<FlatResult> {
  const backendName = await useBackend('wasm');
  const rng = new Rng(3);
  const ids = (n: number) => Uint16Array.from({ length: n }, () => rng.index(64));
  const compiled = compile(tinyPipeline(steps, { eval: 100, sample: 250, checkpoint: 250 }));
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.diagnostics));
  const counts: number[] = [];
  const buffers: number[] = [];
  const backend = tf.engine().backend as unknown as { numDataIds(): number };
  const sink = {
    emit(e: RunEvent) {
      if (e.type === 'error') throw new Error(e.data.message);
      if (e.type === 'step' && e.step >= 10) {
        counts.push(tf.memory().numTensors);
        buffers.push(backend.numDataIds());
      }
    },
  };
  const started = performance.now();
  const result = await runPlan({ plan: compiled.plan, io: memoryIO({ train: encodeNpy(ids(50_000)), valid: encodeNpy(ids(5_000)) }), sink, backendName });
  return {
    steps: result.step,
    status: result.status,
    seconds: (performance.now() - started) / 1000,
    tensors: { afterWarmup: counts[0], last: counts.at(-1)!, min: Math.min(...counts), max: Math.max(...counts) },
    buffers: { afterWarmup: buffers[0], last: buffers.at(-1)! },
  };
}

/**
 * Writes a sparse `gb` GB uint16 ids file (header + ftruncate; a few real windows of random ids)
 * and a small validation file into a new temp folder; meta.json beside them when `withMeta`.
 */
export function makeBigIdsFile(gb: number, withMeta: boolean): { dir: string; train: string; valid: string; tokens: number } {
  const dir = mkdtempSync(join(tmpdir(), 'pretrain-memory-'));
  const tokens = Math.floor((gb * 1e9) / 2);
  const header = encodeNpyHeader('uint16', [tokens]);
  const train = join(dir, 'train_ids.npy');
  const fd = openSync(train, 'w');
  try {
    writeSync(fd, header, 0, header.length, 0);
    ftruncateSync(fd, header.length + 2 * tokens); // the rest reads as zeros and takes no disk
    const rng = new Rng(9);
    for (const at of [0, 0.25, 0.5, 0.75, 0.999]) {
      const window = Uint16Array.from({ length: 1 << 16 }, () => rng.index(64));
      const offset = header.length + 2 * Math.floor(at * (tokens - window.length));
      writeSync(fd, new Uint8Array(window.buffer), 0, window.byteLength, offset);
    }
  } finally {
    closeSync(fd);
  }
  const valid = join(dir, 'valid_ids.npy');
  const rng = new Rng(10);
  writeFileSync(valid, encodeNpy(Uint16Array.from({ length: 10_000 }, () => rng.index(64))));
  if (withMeta) writeFileSync(join(dir, 'meta.json'), JSON.stringify({ vocab_size: 64, max_id: 63, tokenizer: 'synthetic' }));
  return { dir, train, valid, tokens };
}

export interface BigFileResult {
  gb: number;
  withMeta: boolean;
  steps: number;
  status: string;
  peakRssMb: number; // the child's peak resident set (process.resourceUsage().maxRSS)
  seconds: number;
}

/** The child side: trains `steps` steps on the files through trainPipeline / nodeIO and prints its peak RSS. */
async function bigFileChild(train: string, valid: string, steps: number, outDir: string): Promise<void> {
  const started = performance.now();
  const outcome = await trainPipeline({
    pipeline: tinyPipeline(steps, { eval: 5, sample: 1000, checkpoint: 5 }, { train, valid }),
    outDir,
    backend: 'wasm',
    sink: { emit: (e: RunEvent) => void (e.type === 'error' && console.error(e.data.message)) },
  });
  const status = outcome.compiled ? outcome.result.status : 'invalid pipeline';
  const steps_ = outcome.compiled ? outcome.result.step : 0;
  console.log(JSON.stringify({ status, steps: steps_, peakRssMb: process.resourceUsage().maxRSS / 1024, seconds: (performance.now() - started) / 1000 }));
}

/**
 * Trains a few steps on a fresh sparse `gb` GB file in a child process and reports its peak RSS.
 * @example
 *   const r = bigFileRss(2, 10, true); // r.peakRssMb < 1024
 */
export function bigFileRss(gb = 2, steps = 10, withMeta = true): BigFileResult {
  const files = makeBigIdsFile(gb, withMeta);
  try {
    const measured = childJson(['--child', files.train, files.valid, String(steps), join(files.dir, 'run')], 'bigFileRss child');
    return { gb, withMeta, ...(measured as Omit<BigFileResult, 'gb' | 'withMeta'>) };
  } finally {
    rmSync(files.dir, { recursive: true, force: true });
  }
}

export interface EstimateRow {
  config: string;
  steps: number;
  status: string;
  estimateMb: number; // engine/memory/estimate.ts, node executor
  peakAboveBaselineMb: number; // peak RSS minus the RSS once tfjs, the backend and the data were loaded
  tfHeldMb: number; // tf.memory().numBytes at the last step event: what persists between steps
  ratio: number; // estimate / measured
}

/** The child side: trains `steps` steps of one bench config on wasm and prints its peak above baseline. */
async function estimateChild(name: string, steps: number): Promise<void> {
  const backendName = await useBackend('wasm');
  const cfg = BENCH_CONFIGS.find((c) => c.name === name);
  if (!cfg) throw new Error(`unknown bench config ${name}`);
  const compiled = compile(benchPipeline(cfg, steps));
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.diagnostics));
  const rng = new Rng(7);
  const ids = (n: number) => Uint16Array.from({ length: n }, () => rng.index(cfg.model.vocabSize));
  const io = memoryIO({ train: encodeNpy(ids(200_000)), valid: encodeNpy(ids(20_000)) });
  // The baseline includes what any run loads first: the backend's kernels and the native BLAS
  // (OpenBLAS allocates its buffers on the first product), so only the run's own memory is measured.
  tf.tidy(() => tf.matMul(tf.ones([256, 256]), tf.ones([256, 256])).dataSync());
  // Linux: the peak restarts from here, so what set-up held for a moment (a collection not yet
  // run) does not hide part of the run's own peak; elsewhere the lifetime peak, set-up included.
  const fresh = resetPeakRss();
  const baseline = fresh ? fresh.rss : Math.max(process.memoryUsage().rss, process.resourceUsage().maxRSS * 1024);
  let held = 0;
  const sink = {
    emit(e: RunEvent) {
      if (e.type === 'error') console.error(e.data.message);
      if (e.type === 'step') held = tf.memory().numBytes;
    },
  };
  const result = await runPlan({ plan: compiled.plan, io, sink, backendName, executor: 'bench' });
  const peak = fresh ? procStatusBytes('VmHWM')! : process.resourceUsage().maxRSS * 1024;
  console.log(JSON.stringify({ status: result.status, steps: result.step, peakAboveBaseline: peak - baseline, held }));
}

/** A field of /proc/self/status in bytes (VmRSS: resident now, VmHWM: peak), or undefined off Linux. */
function procStatusBytes(field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

/** Restarts the process's peak RSS (VmHWM) at its current RSS (Linux's clear_refs "5"); undefined where it cannot. */
function resetPeakRss(): { rss: number } | undefined {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    return undefined;
  }
  const rss = procStatusBytes('VmRSS');
  return rss === undefined ? undefined : { rss };
}

interface EstimateChildResult {
  status: string;
  steps: number;
  peakAboveBaseline: number;
  held: number;
}

/** Runs this file as a child process with `args` and returns the JSON line it printed last; throws naming `what` if it fails. */
function childJson(args: string[], what: string): unknown {
  const r = runJson(process.execPath, ['--import', 'tsx', join(HERE, 'memory.ts'), ...args], { timeoutS: 600 });
  if (!r.json) throw new Error(`${what} failed: ${r.error}`);
  return r.json;
}

/**
 * Trains `steps` steps of each named bench config in a child process, `runs` times, and sets the
 * estimate against the largest measured peak: an estimate has to cover the peak a run can reach.
 * @example
 *   estimateVsMeasured(['R']); // [{ config: 'R', estimateMb: 69.8, peakAboveBaselineMb: 62, ratio: 1.13, ... }]
 */
export function estimateVsMeasured(names: string[], steps = 3, runs = 2): EstimateRow[] {
  return names.map((name) => {
    const cfg = BENCH_CONFIGS.find((c) => c.name === name);
    if (!cfg) throw new Error(`unknown bench config ${name}`);
    const compiled = compile(benchPipeline(cfg, steps));
    if (!compiled.ok) throw new Error(JSON.stringify(compiled.diagnostics));
    const estimate = estimateMemory(compiled.plan, 'node')!.bytes.total;
    const tries = Array.from({ length: runs }, () => childJson(['--estimate-child', name, String(steps)], `estimate child ${name}`) as EstimateChildResult);
    const measured = tries.reduce((a, b) => (b.peakAboveBaseline > a.peakAboveBaseline ? b : a));
    const mb = (b: number) => Math.round(b / 1e5) / 10;
    return {
      config: name,
      steps: measured.steps,
      status: tries.find((t) => t.status !== 'completed')?.status ?? measured.status,
      estimateMb: mb(estimate),
      peakAboveBaselineMb: mb(measured.peakAboveBaseline),
      tfHeldMb: mb(measured.held),
      ratio: Math.round((estimate / measured.peakAboveBaseline) * 100) / 100,
    };
  });
}

export interface TorchEstimateRow {
  config: string;
  estimateMb: number; // engine/memory/estimate.ts, torch executor (the Python process included)
  peakRssMb: number; // the PyTorch process's peak RSS
  ratio: number;
}

/**
 * Trains 3 steps of each named bench config in PyTorch on the CPU (one thread) and sets the torch
 * estimate against the process's peak RSS.
 * @example estimateVsTorch(['R']); // [{ config: 'R', estimateMb: 337.2, peakRssMb: 312.7, ratio: 1.08 }]
 */
export function estimateVsTorch(names: string[]): TorchEstimateRow[] {
  const modelDir = mkdtempSync(join(tmpdir(), 'pretrain-memory-torch-'));
  try {
    for (const f of ['model.py', 'optim.py', 'rng.py']) writeFileSync(join(modelDir, f), TORCH_SOURCES.get(f)!);
    return names.map((name) => {
      const cfg = BENCH_CONFIGS.find((c) => c.name === name);
      if (!cfg) throw new Error(`unknown bench config ${name}`);
      const compiled = compile(benchPipeline(cfg, 3));
      if (!compiled.ok) throw new Error(JSON.stringify(compiled.diagnostics));
      const estimate = estimateMemory(compiled.plan, 'torch')!.bytes.total;
      const args = [...torchBenchArgs(join(HERE, 'torch_bench.py'), modelDir, cfg, 2, 1), '--threads', '1'];
      const r = runJson(DEFAULT_PYTHON, args, { env: { OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' }, timeoutS: 600 });
      if (!r.json) throw new Error(`torch_bench ${name} failed: ${r.error}`);
      const peak = (r.json as { peak_rss_mb: number }).peak_rss_mb * 1024 * 1024;
      return {
        config: name,
        estimateMb: Math.round(estimate / 1e5) / 10,
        peakRssMb: Math.round(peak / 1e5) / 10,
        ratio: Math.round((estimate / peak) * 100) / 100,
      };
    });
  } finally {
    rmSync(modelDir, { recursive: true, force: true });
  }
}

const within25 = (ratio: number) => Math.abs(ratio - 1) <= 0.25;

/** Prints the estimate tables; true when every row completed within 25% of its measured peak. */
function reportEstimates(names: string[], torch: boolean): boolean {
  console.log('node executor (wasm): config | estimate MB | peak RSS above baseline MB | tf.memory() between steps MB | estimate / measured');
  let ok = true;
  for (const r of estimateVsMeasured(names)) {
    const good = r.status === 'completed' && within25(r.ratio);
    ok &&= good;
    console.log(`${r.config} | ${r.estimateMb} | ${r.peakAboveBaselineMb} | ${r.tfHeldMb} | ${r.ratio} ${good ? 'ok' : 'OUTSIDE 25%'}`);
  }
  if (!torch) return ok;
  console.log('torch executor (CPU): config | estimate MB | peak RSS of the process MB | estimate / measured');
  for (const r of estimateVsTorch(names)) {
    ok &&= within25(r.ratio);
    console.log(`${r.config} | ${r.estimateMb} | ${r.peakRssMb} | ${r.ratio} ${within25(r.ratio) ? 'ok' : 'OUTSIDE 25%'}`);
  }
  return ok;
}

// ---------------------------------------------------------------- command line
const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  if (process.argv[2] === '--child') {
    const [train, valid, steps, outDir] = process.argv.slice(3);
    await bigFileChild(train, valid, Number(steps), outDir);
  } else if (process.argv[2] === '--estimate-child') {
    await estimateChild(process.argv[3], Number(process.argv[4]));
    process.exit(0);
  } else {
    const { values } = parseArgs({
      options: {
        steps: { type: 'string', default: '1000' },
        gb: { type: 'string', default: '2' },
        'skip-scan': { type: 'boolean', default: false },
        'estimate-only': { type: 'boolean', default: false },
        configs: { type: 'string', default: 'R,S4,S16,M' },
        torch: { type: 'boolean', default: false },
      },
    });
    const configs = values.configs.split(',');
    if (values['estimate-only']) process.exit(reportEstimates(configs, values.torch) ? 0 : 1);
    const flat = await tensorsStayFlat(Number(values.steps));
    const flatOk = flat.status === 'completed' && flat.tensors.min === flat.tensors.max && flat.buffers.afterWarmup === flat.buffers.last;
    console.log(
      `tensors over ${flat.steps} steps (${flat.seconds.toFixed(1)} s): ${JSON.stringify(flat.tensors)}, buffers ${JSON.stringify(flat.buffers)} -> ${flatOk ? 'flat' : 'NOT FLAT'}`,
    );
    let ok = flatOk;
    for (const withMeta of values['skip-scan'] ? [true] : [true, false]) {
      const big = bigFileRss(Number(values.gb), 10, withMeta);
      const good = big.status === 'completed' && big.peakRssMb < 1024;
      ok &&= good;
      console.log(
        `${big.gb} GB ids file, ${withMeta ? 'meta.json present' : 'no meta.json (full max-id scan)'}: ${big.steps} steps, peak RSS ${big.peakRssMb.toFixed(0)} MB in ${big.seconds.toFixed(1)} s -> ${good ? 'ok (< 1 GB)' : 'TOO HIGH'}`,
      );
    }
    ok = reportEstimates(configs, values.torch) && ok;
    process.exit(ok ? 0 : 1);
  }
}
