// One engine row of `npm run bench`, in its own process (so peak RSS is this row's alone): compiles
// the bench pipeline of a config, trains it through the real runtime (runPlan: get_batch, model,
// loss, backward, clip, scheduler, AdamW, log) on the given backend with ids served from memory,
// and prints one JSON line: wall time between consecutive step events, tensors alive, peak RSS.
// With --eval-batches N an eval node runs N batches after the last step; its cost is that step's
// interval less the median training step, reported per batch and as a fraction of a training step.
// Usage: node --import tsx bench/engine-worker.ts --config R --backend wasm --steps 30 --warmup 5 [--eval-batches 10] [--pin-cpu N]
//        node --import tsx bench/engine-worker.ts --peak --backend wasm   # fp32 matmul GFLOP/s on that backend
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { compile } from '../engine/compiler/compile';
import { encodeNpy } from '../engine/data/npy';
import type { RunEvent } from '../engine/events';
import { Rng } from '../engine/random';
import { memoryIO } from '../engine/runtime/memory-io';
import { runPlan } from '../engine/runtime/run';
import { useBackend, wasmThreadCount, type BackendName } from '../engine/node/backend';
import { nativeGemmFor } from '../engine/tf/nativeGemm';
import { installNodeWebGpu } from '../engine/node/webgpu';
import { benchPipeline, shapeConfig } from './configs';
import { pinMainThread } from './pin-cpu';

/** What the worker prints (one JSON line on stdout). */
export interface EngineRow {
  backend: string;
  config: string;
  stepMs: number[]; // wall time between consecutive step events, timed steps only
  cpuMs: number[]; // process CPU time (user + system) over the same intervals: robust to a busy machine
  tensorsAtFirst: number; // tf.memory().numTensors at the first timed step
  tensorsAtLast: number; // ... and at the last one: equal when nothing leaks
  peakRssMb: number;
  loss: number;
  status: string;
  error?: string;
  threads: number; // wasm: XNNPACK pool size; else 1
  adapter?: string; // webgpu: the adapter Dawn chose
  matmul?: string; // wasm: the native BLAS running the matmuls, when one loaded
  /** --eval-batches: one eval batch in ms and as a fraction of a training step (wall and CPU time). */
  eval?: { batches: number; msWall: number; msCpu: number; ratioWall: number; ratioCpu: number };
}

const { values } = parseArgs({
  options: {
    config: { type: 'string', default: 'R' },
    backend: { type: 'string', default: 'wasm' },
    steps: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '3' },
    peak: { type: 'boolean', default: false },
    'eval-batches': { type: 'string', default: '0' },
    'pin-cpu': { type: 'string' },
  },
});
if (values['pin-cpu'] !== undefined) pinMainThread(Number(values['pin-cpu']));

let backend: string;
try {
  backend = await useBackend(values.backend as BackendName);
} catch (e) {
  // The bench reports a backend that cannot start here as skipped, with this message.
  console.log(JSON.stringify({ backend: values.backend, config: values.config, status: 'unavailable', error: (e as Error).message }));
  process.exit(0);
}
const threads = backend === 'wasm' ? await wasmThreadCount() : 1;
const adapter = backend === 'webgpu' ? (await installNodeWebGpu())?.adapter : undefined;
const matmul = nativeGemmFor(backend)?.describe;

/**
 * fp32 matmul throughput of the active backend: the fastest of repeated runs, square sizes and
 * repetitions as bench/torch_bench.py's peak (512, 1024, 2048), so the two peaks compare.
 */
async function matmulPeak(): Promise<{ peakGflops: number; bySize: Record<string, number> }> {
  const bySize: Record<string, number> = {};
  for (const n of [512, 1024, 2048]) {
    const a = tf.randomNormal([n, n]);
    const b = tf.randomNormal([n, n]);
    // wasm and cpu compute a product before matMul returns, so the clock stops there, as torch's
    // peak times `a @ b` alone. Awaiting a read back (of C, or of one element sliced from it)
    // added 1-5 ms per call on this VM, more than the product itself at 512 (60 instead of 200
    // GFLOP/s). A GPU backend only queues the work: one element read back waits for it.
    const queued = backend === 'webgpu' || backend === 'webgl';
    const run = async () => {
      const t = performance.now();
      const c = tf.matMul(a, b);
      if (queued) {
        const corner = c.slice([0, 0], [1, 1]);
        await corner.data();
        corner.dispose();
      }
      const ms = performance.now() - t;
      c.dispose();
      return ms;
    };
    await run();
    const times: number[] = [];
    for (let i = 0; i < (n < 2048 ? 12 : 5); i++) times.push(await run());
    times.sort((x, y) => x - y);
    bySize[n] = Math.round((2 * n ** 3) / (times[0] / 1000) / 1e8) / 10;
    tf.dispose([a, b]);
  }
  return { peakGflops: Math.max(...Object.values(bySize)), bySize };
}

if (values.peak) {
  console.log(JSON.stringify({ backend, ...(matmul ? { matmul } : {}), ...(await matmulPeak()) }));
  process.exit(0);
}

const cfg = shapeConfig(values.config!);
const evalBatches = Number(values['eval-batches']);
// The step that also evaluates is not a training-step sample: it is run on top of the timed ones.
const steps = Number(values.steps) + (evalBatches > 0 ? 1 : 0);
const warmup = Number(values.warmup);
const compiled = compile(benchPipeline(cfg, warmup + steps, evalBatches));
if (!compiled.ok) throw new Error(JSON.stringify(compiled.diagnostics));

// Uniform random ids: the speed of a step does not depend on the token values.
const rng = new Rng(7);
const ids = (n: number) => Uint16Array.from({ length: n }, () => rng.index(cfg.model.vocabSize));
const io = memoryIO({ train: encodeNpy(ids(200_000)), valid: encodeNpy(ids(20_000)) });

const stepTimes: number[] = [];
const cpuTimes: number[] = [];
const tensors: number[] = [];
const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
let last = 0;
let lastCpu = 0;
let loss = NaN;
const sink = {
  emit(e: RunEvent) {
    if (e.type === 'error') console.error(`engine error: ${e.data.message}`);
    if (e.type !== 'step') return;
    const now = performance.now();
    const cpu = cpuNow();
    if (e.step > warmup) {
      stepTimes.push(now - last);
      cpuTimes.push(cpu - lastCpu);
      tensors.push(tf.memory().numTensors);
    }
    last = now;
    lastCpu = cpu;
    loss = e.data.loss;
  },
};
const result = await runPlan({ plan: compiled.plan, io, sink, backendName: backend, executor: 'bench' });
const evalCost = evalBatches > 0 && stepTimes.length > 1 ? evalCostOf(stepTimes, cpuTimes, evalBatches) : undefined;
const row: EngineRow = {
  backend,
  config: cfg.name,
  stepMs: stepTimes,
  cpuMs: cpuTimes,
  tensorsAtFirst: tensors[0] ?? 0,
  tensorsAtLast: tensors.at(-1) ?? 0,
  peakRssMb: process.resourceUsage().maxRSS / 1024,
  loss,
  status: result.status,
  ...(result.error ? { error: result.error.message } : {}),
  threads,
  ...(adapter ? { adapter } : {}),
  ...(matmul ? { matmul } : {}),
  ...(evalCost ? { eval: evalCost } : {}),
};
console.log(JSON.stringify(row));

/** Takes the last (evaluating) step out of the samples and prices its eval against the median of the rest. */
function evalCostOf(wall: number[], cpu: number[], batches: number): EngineRow['eval'] {
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const [evalWall, evalCpu] = [wall.pop()!, cpu.pop()!];
  const [stepWall, stepCpu] = [median(wall), median(cpu)];
  const msWall = (evalWall - stepWall) / batches;
  const msCpu = (evalCpu - stepCpu) / batches;
  return { batches, msWall, msCpu, ratioWall: msWall / stepWall, ratioCpu: msCpu / stepCpu };
}
// webgpu (Dawn) keeps handles open; the row is printed, so leave now.
process.exit(0);
