// What each engine kernel buys: trains a config through the real runtime (runPlan) in one process
// and, between steps, unregisters one group of the engine's kernels at a time, so that group's ops
// fall back to their composed stock form. Reports, per variant, the lowest and the first-quartile
// process CPU time per step: on a shared machine other work only ever adds time, so the low end
// is the stable estimate; rounds are interleaved so drift in load hits all variants alike.
// Usage: node --import tsx bench/ablate.ts [--config R] [--steps 12] [--rounds 2] [--backend wasm]
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { compile } from '../engine/compiler/compile';
import { encodeNpy } from '../engine/data/npy';
import type { RunEvent } from '../engine/events';
import { Rng } from '../engine/random';
import { memoryIO } from '../engine/runtime/memory-io';
import { runPlan } from '../engine/runtime/run';
import { useBackend, type BackendName } from '../engine/node/backend';
import * as names from '../engine/tf/names';
import { ensureKernelsRegistered } from '../engine/tf/register';
import { benchConfig, benchPipeline } from './configs';

const { values } = parseArgs({
  options: {
    config: { type: 'string', default: 'R' },
    steps: { type: 'string', default: '12' },
    rounds: { type: 'string', default: '2' },
    backend: { type: 'string', default: 'wasm' },
  },
});
const backendName = await useBackend(values.backend as BackendName);
ensureKernelsRegistered();

/** The stock wasm Identity copies; the engine's shares the buffer. This restores the copy. */
const copyingIdentity: KernelConfig = {
  kernelName: 'Identity',
  backendName: 'wasm',
  kernelFunc: ((args: {
    inputs: { x: TensorInfo };
    backend: { makeOutput(s: number[], d: string): TensorInfo; typedArrayFromHeap(t: TensorInfo): Float32Array };
  }) => {
    const out = args.backend.makeOutput(args.inputs.x.shape, args.inputs.x.dtype);
    args.backend.typedArrayFromHeap(out).set(args.backend.typedArrayFromHeap(args.inputs.x));
    return out;
  }) as unknown as KernelFunc,
};

const GROUPS: Record<string, string[]> = {
  'all engine kernels': [],
  'without norms': [names.LayerNormForward, names.RmsNormForward],
  'without GELU/SwiGLU': [names.GeluForward, names.SwigluForward],
  'without cross-entropy': [names.SoftmaxCrossEntropy],
  'without RoPE': [names.Rope],
  'without AdamW': [names.FusedAdamUpdate],
  'without one-call clipping': [names.GlobalNorm, names.ScaleAll],
  'without transposes': [names.TransposeLast2, names.SwapMiddleAxes],
  'without shared Identity': ['Identity'],
  'none of them': [
    names.LayerNormForward,
    names.RmsNormForward,
    names.GeluForward,
    names.SwigluForward,
    names.SoftmaxCrossEntropy,
    names.Rope,
    names.FusedAdamUpdate,
    names.GlobalNorm,
    names.ScaleAll,
    names.TransposeLast2,
    names.SwapMiddleAxes,
    'Identity',
  ],
};

const cfg = benchConfig(values.config!);
const perVariant = Number(values.steps);
const rounds = Number(values.rounds);
const variants = Object.keys(GROUPS);
const warm = 3; // steps after each switch that are not timed (JIT, XNNPACK operator caches)
const total = rounds * variants.length * (perVariant + warm) + 1;
const compiled = compile(benchPipeline(cfg, total));
if (!compiled.ok) throw new Error(JSON.stringify(compiled.diagnostics));
const rng = new Rng(7);
const ids = (n: number) => Uint16Array.from({ length: n }, () => rng.index(cfg.model.vocabSize));

let removed: KernelConfig[] = [];
function select(variant: string): void {
  for (const k of removed) {
    if (tf.getKernel(k.kernelName, k.backendName)) tf.unregisterKernel(k.kernelName, k.backendName);
    tf.registerKernel(k);
  }
  removed = [];
  for (const name of GROUPS[variant]) {
    const k = tf.getKernel(name, backendName);
    if (!k) continue;
    removed.push(k);
    tf.unregisterKernel(name, backendName);
    if (name === 'Identity') tf.registerKernel(copyingIdentity);
  }
}

const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const times: Record<string, number[]> = Object.fromEntries(variants.map((v) => [v, []]));
const schedule = Array.from({ length: rounds }, () => variants).flat();
let last = cpu();
const sink = {
  emit(e: RunEvent) {
    if (e.type === 'error') throw new Error(e.data.message);
    if (e.type !== 'step') return;
    const now = cpu();
    const slot = Math.floor((e.step - 1) / (perVariant + warm));
    const within = (e.step - 1) % (perVariant + warm);
    if (slot < schedule.length && within >= warm) times[schedule[slot]].push(now - last);
    const next = Math.floor(e.step / (perVariant + warm));
    if (e.step % (perVariant + warm) === 0 && next < schedule.length) select(schedule[next]);
    last = now;
  },
};
select(schedule[0]);
await runPlan({ plan: compiled.plan, io: memoryIO({ train: encodeNpy(ids(100_000)), valid: encodeNpy(ids(10_000)) }), sink, backendName });
select(variants[0]);

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))];
const base = quantile(times[variants[0]], 0.25);
const tokens = cfg.batch * cfg.model.contextLength;
console.log(`${cfg.name} on ${backendName}: CPU ms per step over ${rounds} x ${perVariant} steps (min, p25; tok/s and delta from p25)`);
for (const v of variants) {
  const lo = quantile(times[v], 0);
  const m = quantile(times[v], 0.25);
  console.log(
    `${v.padEnd(26)} ${lo.toFixed(1).padStart(7)} ${m.toFixed(1).padStart(7)} ms  ${Math.round((tokens * 1000) / m)
      .toString()
      .padStart(6)} tok/s (cpu)  ${m >= base ? '+' : ''}${(m - base).toFixed(1)} ms`,
  );
}
process.exit(0);
