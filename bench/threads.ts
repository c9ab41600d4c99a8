// Where threads pay on this machine, through the real runtime (bench/OPTIMIZATIONS.md, changes 12 and
// "Threads on this machine"). Two measurements:
//   --sweep SHAPES  for each shape, ms per step with 1 and with 2 OpenBLAS threads (each in its own
//                   process, twice, best kept) and the speed-up; a shape is d<d_model>t<T>b<B>l<layers>
//                   (a GELU/LayerNorm model, d_ff 4·d, 32-wide heads) or a bench config name with an
//                   optional batch (M, M:2, R:8)
//   --ceiling NAME  what 2 cores give at all: NAME alone, NAME at half batch alone, two half-batch
//                   runs at once (data parallel with free communication), two full runs at once
// Each row is a child process of bench/engine-worker.ts (the bench's own row), on wasm with OpenBLAS.
// Usage: node --import tsx bench/threads.ts --sweep d128t128b32l4,d256t64b16l2 [--steps 8]
//        node --import tsx bench/threads.ts --ceiling M [--steps 6]
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { shapeConfig } from './configs';

const { values } = parseArgs({
  options: {
    sweep: { type: 'string' },
    ceiling: { type: 'string' },
    steps: { type: 'string', default: '8' },
  },
});
const steps = Number(values.steps);
const WARMUP = 2;
const WORKER = new URL('./engine-worker.ts', import.meta.url).pathname;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** The same shape at half its batch. */
function halfBatch(shape: string): string {
  const batch = shapeConfig(shape).batch / 2;
  return /^d\d+t\d+b/.test(shape) ? shape.replace(/b\d+/, `b${batch}`) : `${shape.split(':')[0]}:${batch}`;
}

/** Runs rows in child processes at the same time; resolves to each one's ms per step. */
function together(shapes: string[], blasThreads: number): Promise<number[]> {
  return Promise.all(
    shapes.map(
      (shape) =>
        new Promise<number>((resolve, reject) => {
          const env = { ...process.env, PRETRAIN_BLAS_THREADS: String(blasThreads) };
          const args = ['--import', 'tsx', WORKER, '--config', shape, '--backend', 'wasm', '--steps', String(steps), '--warmup', String(WARMUP)];
          const child = spawn(process.execPath, args, { env });
          let out = '';
          child.stdout.on('data', (d) => (out += d));
          child.on('error', reject);
          child.on('close', (code) => {
            const last = out.trim().split('\n').at(-1) ?? '';
            if (code === 0 && last.startsWith('{')) resolve(median(JSON.parse(last).stepMs));
            else reject(new Error(`${shape}: exit ${code}`));
          });
        }),
    ),
  );
}

const ms = (x: number) => x.toFixed(1);

if (values.sweep) {
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
