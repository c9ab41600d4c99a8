// One node-executor row of `npm run bench:browser`, in its own process (PRETRAIN_BLAS=off applies per
// process): trains the pipeline file on wasm and prints {detail, tokensPerSec, stepMs} as one JSON line.
// Usage: node --import tsx bench/browser-node-row.ts --pipeline FILE --steps N
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { trainPipeline } from '../engine/node/train';
import type { Pipeline } from '../engine/pipeline/schema';
import { median, timedSteps } from './browser-rows';

const { values } = parseArgs({ options: { pipeline: { type: 'string' }, steps: { type: 'string' } } });
const pipeline = JSON.parse(readFileSync(values.pipeline!, 'utf8')) as Pipeline;
const perStep: { tps: number; ms: number }[] = [];
let detail = '';
await trainPipeline({
  pipeline,
  outDir: mkdtempSync(join(tmpdir(), 'bench-browser-node-')),
  backend: 'wasm',
  steps: Number(values.steps),
  sink: {
    emit(e) {
      if (e.type === 'run/started') detail = `wasm, matmuls on ${e.data.matmul ?? 'XNNPACK (PRETRAIN_BLAS=off)'}`;
      if (e.type === 'step') perStep.push({ tps: e.data.tokens_per_sec, ms: e.data.step_ms });
    },
  },
});
const timed = timedSteps(perStep);
console.log(JSON.stringify({ detail, tokensPerSec: median(timed.map((s) => s.tps)), stepMs: median(timed.map((s) => s.ms)) }));
process.exit(0);
