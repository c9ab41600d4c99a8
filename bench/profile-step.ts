// Where a training step's time goes: trains a bench config through the real runtime (as
// bench/engine-worker.ts does) and times every kernel call, matmuls by shape, then prints a table.
// The time outside kernels (tfjs's bookkeeping, tape, JS) is the step time less the kernels' sum.
// Usage: node --import tsx bench/profile-step.ts --config M --steps 3 --warmup 1
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { compile } from '../engine/compiler/compile';
import { encodeNpy } from '../engine/data/npy';
import type { RunEvent } from '../engine/events';
import { Rng } from '../engine/random';
import { memoryIO } from '../engine/runtime/memory-io';
import { runPlan } from '../engine/runtime/run';
import { useBackend, type BackendName } from '../engine/node/backend';
import { nativeGemmFor } from '../engine/tf/nativeGemm';
import { benchConfig, benchPipeline } from './configs';

const { values } = parseArgs({
  options: {
    config: { type: 'string', default: 'M' },
    backend: { type: 'string', default: 'wasm' },
    steps: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
  },
});

interface Tally {
  ms: number;
  calls: number;
  flops: number;
}

const tallies = new Map<string, Tally>();
let timing = false;

/** A matmul's row key: batch x [M, K] @ [K, N] with its transpose flags, and its flop count. */
function matmulKey(inputs: Record<string, tf.TensorInfo>, attrs: Record<string, unknown>): { key: string; flops: number } {
  const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const [a1, a2] = a.shape.slice(-2);
  const [b1, b2] = b.shape.slice(-2);
  const [M, K] = attrs.transposeA ? [a2, a1] : [a1, a2];
  const N = attrs.transposeB ? b1 : b2;
  const batch = Math.max(...[a, b].map((t) => t.shape.slice(0, -2).reduce((x, y) => x * y, 1)));
  const flags = `${attrs.transposeA ? 'T' : 'N'}${attrs.transposeB ? 'T' : 'N'}`;
  return { key: `BatchMatMul ${batch}x[${M}x${K}]@[${K}x${N}] ${flags}`, flops: 2 * batch * M * N * K };
}

/** Wraps Engine.runKernel so each outermost kernel call adds its wall time to its row. */
function installKernelTimer(): void {
  const engine = tf.engine() as unknown as { runKernel(name: string, inputs: Record<string, tf.TensorInfo>, attrs: Record<string, unknown>): unknown };
  const run = engine.runKernel.bind(engine);
  let depth = 0;
  engine.runKernel = (name, inputs, attrs) => {
    if (!timing || depth > 0) return run(name, inputs, attrs);
    depth++;
    const t = performance.now();
    try {
      return run(name, inputs, attrs);
    } finally {
      const ms = performance.now() - t;
      depth--;
      const { key, flops } = name === 'BatchMatMul' ? matmulKey(inputs, attrs) : { key: name, flops: 0 };
      const row = tallies.get(key) ?? { ms: 0, calls: 0, flops: 0 };
      row.ms += ms;
      row.calls++;
      row.flops += flops;
      tallies.set(key, row);
    }
  };
}

const backend = await useBackend(values.backend as BackendName);
const cfg = benchConfig(values.config!);
const steps = Number(values.steps);
const warmup = Number(values.warmup);
const compiled = compile(benchPipeline(cfg, warmup + steps, 0));
if (!compiled.ok) throw new Error(JSON.stringify(compiled.diagnostics));
const rng = new Rng(7);
const ids = (n: number) => Uint16Array.from({ length: n }, () => rng.index(cfg.model.vocabSize));
const io = memoryIO({ train: encodeNpy(ids(200_000)), valid: encodeNpy(ids(20_000)) });

installKernelTimer();
let last = 0;
let timedMs = 0;
const sink = {
  emit(e: RunEvent) {
    if (e.type === 'error') console.error(`engine error: ${e.data.message}`);
    if (e.type !== 'step') return;
    const now = performance.now();
    if (e.step > warmup) timedMs += now - last;
    if (e.step === warmup) tallies.clear(); // from here on, only timed steps count
    timing = e.step >= warmup && e.step < warmup + steps; // nothing after the last step counts
    last = now;
  },
};
await runPlan({ plan: compiled.plan, io, sink, backendName: backend, executor: 'bench' });

const perStep = (ms: number) => ms / steps;
const kernelMs = [...tallies.values()].reduce((s, r) => s + r.ms, 0);
console.log(
  `${cfg.name} on ${backend}${nativeGemmFor(backend) ? ` (${nativeGemmFor(backend)!.describe})` : ''}: ${perStep(timedMs).toFixed(1)} ms per step, kernels ${perStep(kernelMs).toFixed(1)} ms`,
);
console.log('| kernel | ms/step | share | calls/step | µs/call | GFLOP/s |');
console.log('|---|---|---|---|---|---|');
const rows = [...tallies.entries()].sort((x, y) => y[1].ms - x[1].ms);
for (const [key, r] of rows) {
  if (perStep(r.ms) < 0.05 * (timedMs / steps / 100)) continue; // under 0.05% of a step
  const gflops = r.flops ? (r.flops / (r.ms / 1000) / 1e9).toFixed(0) : '';
  console.log(
    `| ${key} | ${perStep(r.ms).toFixed(2)} | ${((100 * r.ms) / timedMs).toFixed(1)}% | ${r.calls / steps} | ${((1000 * r.ms) / r.calls).toFixed(1)} | ${gflops} |`,
  );
}
console.log(
  `| outside kernels (tape, bookkeeping, JS) | ${perStep(timedMs - kernelMs).toFixed(2)} | ${((100 * (timedMs - kernelMs)) / timedMs).toFixed(1)}% | | | |`,
);
process.exit(0);
