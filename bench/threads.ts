// Where threads pay on this machine, through the real runtime (bench/OPTIMIZATIONS.md, changes 12 and
// "Threads on this machine"). Two measurements:
//   --sweep SHAPES  for each shape, ms per step with 1 and with 2 OpenBLAS threads (each in its own
//                   process, twice, best kept) and the speed-up; a shape is d<d_model>t<T>b<B>l<layers>
//                   (a GELU/LayerNorm model, d_ff 4·d, 32-wide heads) or a bench config name with an
//                   optional batch (M, M2, R8)
//   --ceiling NAME  what 2 cores give at all: NAME alone, NAME at half batch alone, two half-batch
//                   runs at once (data parallel with free communication), two full runs at once
// Each row is a child process (`--row SHAPE`) that prints {"ms": median step}.
// Usage: node --import tsx bench/threads.ts --sweep d128t128b32l4,d256t64b16l2 [--steps 8]
//        node --import tsx bench/threads.ts --ceiling M [--steps 6]
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { compile } from '../engine/compiler/compile';
import { encodeNpy } from '../engine/data/npy';
import type { RunEvent } from '../engine/events';
import { Rng } from '../engine/random';
import { memoryIO } from '../engine/runtime/memory-io';
import { runPlan } from '../engine/runtime/run';
import { useBackend } from '../engine/node/backend';
import { benchConfig, benchPipeline, CONFIG_Q, type BenchConfig } from './configs';

const { values } = parseArgs({
  options: {
    sweep: { type: 'string' },
    ceiling: { type: 'string' },
    row: { type: 'string' },
    steps: { type: 'string', default: '8' },
  },
});
const steps = Number(values.steps);
const WARMUP = 2;

/** A shape's bench config: a bench config name with an optional batch (M, M:2), or d<d>t<T>b<B>l<L>. */
export function shapeConfig(shape: string): BenchConfig {
  const m = /^d(\d+)t(\d+)b(\d+)l(\d+)$/.exec(shape);
  if (!m) {
    const [name, batch] = shape.split(':');
    const base = benchConfig(name);
    return { ...base, name: shape, batch: batch ? Number(batch) : base.batch };
  }
  const [dModel, contextLength, batch, nLayers] = m.slice(1).map(Number);
  const model = { ...CONFIG_Q, dModel, contextLength, nLayers, nHeads: Math.max(1, dModel / 32), dFF: 4 * dModel };
  return { name: shape, description: shape, model, batch, steps: { fast: steps, slow: steps }, warmup: WARMUP };
}

/** The same shape at half its batch. */
function halfBatch(shape: string): string {
  const batch = shapeConfig(shape).batch / 2;
  return /^d\d+t\d+b/.test(shape) ? shape.replace(/b\d+/, `b${batch}`) : `${shape.split(':')[0]}:${batch}`;
}

/** One row in this process: the median wall time per step after the warm-up. */
async function row(shape: string): Promise<number> {
  const cfg = shapeConfig(shape);
  const backend = await useBackend('wasm');
  const compiled = compile(benchPipeline(cfg, WARMUP + steps));
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.diagnostics));
  const rng = new Rng(7);
  const ids = (n: number) => Uint16Array.from({ length: n }, () => rng.index(cfg.model.vocabSize));
  const io = memoryIO({ train: encodeNpy(ids(200_000)), valid: encodeNpy(ids(20_000)) });
  const times: number[] = [];
  let last = 0;
  const sink = {
    emit(e: RunEvent) {
      if (e.type !== 'step') return;
      const now = performance.now();
      if (e.step > WARMUP) times.push(now - last);
      last = now;
    },
  };
  await runPlan({ plan: compiled.plan, io, sink, backendName: backend, executor: 'bench' });
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}

/** Runs rows in child processes at the same time; resolves to each one's ms per step. */
function together(shapes: string[], blasThreads: number): Promise<number[]> {
  const script = fileURLToPath(import.meta.url);
  return Promise.all(
    shapes.map(
      (shape) =>
        new Promise<number>((resolve, reject) => {
          const env = { ...process.env, PRETRAIN_BLAS_THREADS: String(blasThreads) };
          const child = spawn(process.execPath, ['--import', 'tsx', script, '--row', shape, '--steps', String(steps)], { env });
          let out = '';
          child.stdout.on('data', (d) => (out += d));
          child.on('error', reject);
          child.on('close', (code) => {
            const last = out.trim().split('\n').at(-1) ?? '';
            if (code === 0 && last.startsWith('{')) resolve(JSON.parse(last).ms);
            else reject(new Error(`${shape}: exit ${code}`));
          });
        }),
    ),
  );
}

const ms = (x: number) => x.toFixed(1);

if (values.row) {
  console.log(JSON.stringify({ ms: await row(values.row) }));
} else if (values.sweep) {
  console.log('| shape | 1 thread ms | 2 threads ms | speed-up |\n|---|---|---|---|');
  for (const shape of values.sweep.split(',')) {
    const best = { 1: Infinity, 2: Infinity };
    for (const threads of [1, 2, 1, 2] as const) best[threads] = Math.min(best[threads], (await together([shape], threads))[0]);
    console.log(`| ${shape} | ${ms(best[1])} | ${ms(best[2])} | ${(best[1] / best[2]).toFixed(2)} |`);
  }
} else if (values.ceiling) {
  const full = values.ceiling;
  const half = halfBatch(full);
  const [alone] = await together([full], 1);
  const [halfAlone] = await together([half], 1);
  const halves = await together([half, half], 1);
  const pair = await together([full, full], 1);
  console.log(`| what runs | ms per step | throughput ÷ ${full} alone |\n|---|---|---|`);
  console.log(`| ${full} alone | ${ms(alone)} | 1.00 |`);
  console.log(`| ${half} alone | ${ms(halfAlone)} | |`);
  // Data parallel: a step ends when the slower half does.
  console.log(`| two ${half} at once | ${halves.map(ms).join(' and ')} | ${(alone / Math.max(...halves)).toFixed(2)} |`);
  console.log(`| two ${full} at once | ${pair.map(ms).join(' and ')} | ${(alone / pair[0] + alone / pair[1]).toFixed(2)} (aggregate) |`);
} else {
  console.error('usage: --sweep SHAPES | --ceiling NAME');
  process.exit(2);
}
