// npm run train -- <pipeline.json> [--steps N] [--out DIR] [--backend wasm|cpu|tensorflow] [--resume CKPT]
// Trains a pipeline in this process with a live progress line; exits non-zero on any error.
import { readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatDiagnostic } from '../engine/compiler/diagnostics';
import type { RunEvent } from '../engine/events';
import { trainPipeline } from '../engine/node/train';
import type { BackendName } from '../engine/tf/backend';
import { nodeBlasUnavailableReason } from '../engine/node/blas';

const USAGE = 'usage: npm run train -- <pipeline.json> [--steps N] [--out DIR] [--backend wasm|cpu|tensorflow|webgpu] [--resume CKPT] [--data DIR]';
const BACKENDS = ['wasm', 'cpu', 'tensorflow', 'webgpu'];

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

function parse() {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        steps: { type: 'string' },
        out: { type: 'string' },
        backend: { type: 'string', default: 'wasm' },
        resume: { type: 'string' },
        data: { type: 'string' },
        quiet: { type: 'boolean', default: false },
      },
    });
  } catch (e) {
    fail(`${(e as Error).message}\n${USAGE}`);
  }
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  return s >= 3600
    ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
    : s >= 60
      ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
      : `${s}s`;
}

/** Prints events: a progress line redrawn in place on a terminal, lines for everything else. */
function progressPrinter(quiet: boolean) {
  const tty = process.stdout.isTTY;
  let total = 0;
  let lastPrinted = 0;
  // ETA from the mean step time since this process started training (one slow step doesn't swing it).
  let firstStep = 0;
  let firstElapsed = 0;
  const line = (text: string) => process.stdout.write(tty ? `\r\x1b[2K${text}\n` : `${text}\n`);
  return (e: RunEvent) => {
    switch (e.type) {
      case 'run/started':
        total = e.data.totalSteps;
        firstStep = e.step;
        line(
          `training ${e.data.parameters.toLocaleString('en-US')} parameters on ${e.data.backend}${e.data.matmul ? ` (matmuls: ${e.data.matmul})` : ''}, ${e.data.tokensPerStep} tokens/step, steps ${e.step}..${total}${e.data.resumedFrom ? ` (resumed from ${e.data.resumedFrom})` : ''}`,
        );
        if (e.data.backend === 'wasm' && !e.data.matmul && nodeBlasUnavailableReason()) {
          line(`note: matmuls run on wasm SIMD, ~3x slower than on OpenBLAS: ${nodeBlasUnavailableReason()}`);
        }
        break;
      case 'step': {
        const d = e.data;
        if (e.step === firstStep + 1) firstElapsed = d.elapsed_s - d.step_ms / 1000;
        const perStep = e.step > firstStep ? (d.elapsed_s - firstElapsed) / (e.step - firstStep) : d.step_ms / 1000;
        const eta = (total - e.step) * perStep;
        const text = `step ${e.step}/${total}  loss ${d.loss.toFixed(4)}  lr ${d.lr?.toExponential(2) ?? '-'}  |g| ${d.grad_norm?.toFixed(3) ?? '-'}  ${Math.round(d.tokens_per_sec).toLocaleString('en-US')} tok/s  ${d.step_ms.toFixed(0)} ms/step  ETA ${duration(eta)}`;
        if (tty) process.stdout.write(`\r\x1b[2K${text}`);
        else if (!quiet && (e.step - lastPrinted >= 10 || e.step === total)) {
          lastPrinted = e.step;
          console.log(text);
        }
        break;
      }
      case 'eval':
        line(`step ${e.step}: val_loss ${e.data.val_loss.toFixed(4)} (${e.nodeId})`);
        break;
      case 'sample':
        line(`step ${e.step}: sample (${e.nodeId}): ${JSON.stringify(e.data.text)}`);
        break;
      case 'checkpoint/saved':
        line(`step ${e.step}: saved ${e.data.name} (${(e.data.bytes / 1e6).toFixed(2)} MB)`);
        break;
      case 'node/notice':
        line(`${e.nodeId}: ${e.data.message}`);
        break;
      case 'error':
        line(`error: ${e.nodeId ? `${e.nodeId}${e.data.field ? `.${e.data.field}` : ''}: ` : ''}${e.data.message}`);
        break;
      case 'run/finished':
        line(
          `${e.data.status} after ${e.step} steps in ${duration(e.data.elapsed_s)}${e.data.lastCheckpoint ? `; last checkpoint ${e.data.lastCheckpoint}` : ''}`,
        );
        break;
    }
  };
}

const { values, positionals } = parse();
if (positionals.length !== 1) fail(USAGE);
const pipelinePath = resolve(positionals[0]);
if (!BACKENDS.includes(values.backend!)) fail(`--backend must be one of ${BACKENDS.join(', ')}\n${USAGE}`);
const steps = values.steps === undefined ? undefined : Number(values.steps);
if (steps !== undefined && (!Number.isInteger(steps) || steps < 1)) fail(`--steps must be a positive integer\n${USAGE}`);

let text: string;
try {
  text = await readFile(pipelinePath, 'utf8');
} catch (e) {
  fail(`cannot read ${pipelinePath}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
}
let pipeline: unknown;
try {
  pipeline = JSON.parse(text);
} catch (e) {
  fail(`${pipelinePath} is not valid JSON: ${(e as Error).message}`);
}

const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
const outDir = resolve(values.out ?? join('runs', `${basename(pipelinePath, '.json')}-${stamp}`));
const print = progressPrinter(values.quiet!);
const outcome = await trainPipeline({
  pipeline,
  outDir,
  steps,
  backend: values.backend as BackendName,
  resume: values.resume,
  dataDir: values.data,
  baseDir: dirname(pipelinePath),
  sink: { emit: print },
}).catch((e: Error) => fail(`error: ${e.message}`));

if (!outcome.compiled) {
  console.error(`${pipelinePath} has ${outcome.diagnostics.length} problem${outcome.diagnostics.length > 1 ? 's' : ''}:`);
  for (const d of outcome.diagnostics) console.error(`  ${formatDiagnostic(d)}`);
  process.exit(1);
}
console.log(`run folder: ${outDir}`);
process.exit(outcome.result.status === 'failed' ? 1 : 0);
