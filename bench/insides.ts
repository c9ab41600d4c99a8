// `npm run bench -- --insides`: what the model's inside view (model/insides, the model's
// inspect_every) costs a training step, on the seed pipeline's model (pipelines/seed.json, its eval,
// sample and checkpoint nodes left out) on the node executor's backend (wasm, matmuls on the native
// BLAS when it loads). One process trains the same run with inspect_every 20 and 0, alternately,
// so both see the same machine; it prints and writes (bench/insides-results.json, git-ignored) two estimates:
//   - A/B: mean time per step with 20 over mean time per step with 0, minus 1 (wall and CPU time;
//     the window of timed steps is a multiple of 20 long, so it holds its share of inside views);
//   - per view: a run with inspect_every 2 alternates steps with and without a view, so each step
//     with one is compared with the step just before it (same machine load); the median extra CPU
//     time, spread over the 20 steps a view serves at the default, as a fraction of a plain step.
//     This one is not blurred by the run-to-run noise of a shared machine.
// Usage: node --import tsx bench/insides.ts [--rounds 3] [--timed 40] [--every 20] [--out DIR]
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { compile } from '../engine/compiler/compile';
import { encodeNpy } from '../engine/data/npy';
import type { RunEvent } from '../engine/events';
import { useBackend } from '../engine/node/backend';
import { nativeGemmFor } from '../engine/tf/nativeGemm';
import { Rng } from '../engine/random';
import { memoryIO } from '../engine/runtime/memory-io';
import { runPlan } from '../engine/runtime/run';

const HERE = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    timed: { type: 'string', default: '40' },
    every: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '5' },
    out: { type: 'string', default: HERE },
  },
});
const [rounds, timed, every, warmup] = [values.rounds, values.timed, values.every, values.warmup].map(Number);
if (timed % every) throw new Error(`--timed (${timed}) must be a multiple of --every (${every}), so the window holds its share of inside views`);

/** The seed pipeline training from memory, without its periodic eval, sample and checkpoint. */
function seedPlan(inspectEvery: number) {
  const doc = JSON.parse(readFileSync(join(HERE, '../pipelines/seed.json'), 'utf8'));
  const dropped = new Set(['eval', 'sample', 'checkpoint']);
  doc.nodes = doc.nodes.filter((n: { type: string }) => !dropped.has(n.type));
  doc.edges = doc.edges.filter(
    (e: { source: string; target: string }) =>
      doc.nodes.some((n: { id: string }) => n.id === e.source) && doc.nodes.some((n: { id: string }) => n.id === e.target),
  );
  doc.training.steps = warmup + timed;
  const node = (id: string) => doc.nodes.find((n: { id: string }) => n.id === id);
  node('dataset').params = { source: 'files', train_path: 'train_ids.npy', valid_path: 'valid_ids.npy' };
  node('model').params.inspect_every = inspectEvery;
  const compiled = compile(doc);
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.diagnostics));
  return compiled.plan;
}

const rng = new Rng(7);
const ids = (n: number) => Uint16Array.from({ length: n }, () => rng.index(256));
const data = { train: encodeNpy(ids(200_000)), valid: encodeNpy(ids(20_000)) };

/** Wall and CPU ms of each timed step (the interval that ends with its step event), by step. */
async function timeRun(inspectEvery: number): Promise<{ step: number; wall: number; cpu: number }[]> {
  const cpuNow = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const out: { step: number; wall: number; cpu: number }[] = [];
  let [lastWall, lastCpu] = [0, 0];
  const sink = {
    emit(e: RunEvent) {
      if (e.type !== 'step') return;
      const [wall, cpu] = [performance.now(), cpuNow()];
      if (e.step > warmup) out.push({ step: e.step, wall: wall - lastWall, cpu: cpu - lastCpu });
      [lastWall, lastCpu] = [wall, cpu];
    },
  };
  const result = await runPlan({ plan: seedPlan(inspectEvery), io: memoryIO(data), sink, backendName: backend, executor: 'bench' });
  if (result.status !== 'completed') throw new Error(`run failed: ${result.error?.message}`);
  return out;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const backend = await useBackend('wasm');
const matmul = nativeGemmFor(backend)?.describe;
await timeRun(0); // warms the kernels and the allocator for both
const on: Awaited<ReturnType<typeof timeRun>> = [];
const off: Awaited<ReturnType<typeof timeRun>> = [];
const extra: number[] = [];
const plainCpu: number[] = [];
for (let r = 0; r < rounds; r++) {
  off.push(...(await timeRun(0)));
  on.push(...(await timeRun(every)));
  // Every other step has a view: each even step against the odd one before it.
  const paired = new Map((await timeRun(2)).map((s) => [s.step, s.cpu]));
  for (const [step, cpu] of paired) {
    if (step % 2 || !paired.has(step - 1)) continue;
    extra.push(cpu - paired.get(step - 1)!);
    plainCpu.push(paired.get(step - 1)!);
  }
}
const ab = (key: 'wall' | 'cpu') => mean(on.map((s) => s[key])) / mean(off.map((s) => s[key])) - 1;
const result = {
  model: 'pipelines/seed.json',
  backend,
  ...(matmul ? { matmul } : {}),
  inspectEvery: every,
  rounds,
  timedSteps: timed,
  stepMs: {
    off: { wall: mean(off.map((s) => s.wall)), cpu: mean(off.map((s) => s.cpu)) },
    on: { wall: mean(on.map((s) => s.wall)), cpu: mean(on.map((s) => s.cpu)) },
  },
  overheadAB: { wall: ab('wall'), cpu: ab('cpu') },
  viewCpuMs: median(extra),
  overheadPerView: median(extra) / every / median(plainCpu),
  tensors: tf.memory().numTensors,
};
const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
console.log(
  `inside view at inspect_every=${every} on the seed model (${backend}${matmul ? `, ${matmul}` : ''}): ` +
    `step ${result.stepMs.off.wall.toFixed(1)} ms (off) vs ${result.stepMs.on.wall.toFixed(1)} ms (on); ` +
    `overhead A/B ${pct(result.overheadAB.wall)} wall, ${pct(result.overheadAB.cpu)} CPU; a view costs ${result.viewCpuMs.toFixed(1)} ms CPU, ${pct(result.overheadPerView)} of a step at inspect_every=${every}`,
);
writeFileSync(join(values.out!, 'insides-results.json'), JSON.stringify(result, null, 2) + '\n');
