// npm run sweep -- <pipeline.json> --set node.field=v1,v2,v3 [--set ...] [--steps N] [--out DIR] [--backend B]
// Trains every point of a sweep in this process, one after another, each in its own ordinary run
// folder, and prints a result table. Values: a comma list (`1e-3,3e-3`), or a range
// `lin:FROM:TO:COUNT` / `log:FROM:TO:COUNT`. Exits 1 when the sweep is invalid or a point fails.
import { readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { trainPipeline } from '../engine/node/train';
import { summarizeLog } from '../engine/sweep/log-summary';
import { axisKey, expandSweep, linearValues, logValues, type SweepAxis, type SweepValue } from '../engine/sweep/sweep';
import type { BackendName } from '../engine/tf/backend';

const USAGE = 'usage: npm run sweep -- <pipeline.json> --set node.field=v1,v2[,...] [--set ...] [--steps N] [--out DIR] [--backend wasm|cpu] [--executor node]';

function fail(message: string, code = 2): never {
  console.error(message);
  process.exit(code);
}

/** `optimizer.lr=1e-3,3e-3` or `scheduler.lr=log:1e-4:1e-2:5` -> an axis. */
export function parseSet(text: string): SweepAxis {
  const match = /^([^.=]+)\.([^=]+)=(.+)$/.exec(text);
  if (!match) throw new Error(`--set ${text}: expected node.field=values`);
  const [, nodeId, field, list] = match;
  const range = /^(lin|log):([^:]+):([^:]+):(\d+)$/.exec(list);
  if (range) {
    const [from, to, count] = [Number(range[2]), Number(range[3]), Number(range[4])];
    if (!Number.isFinite(from) || !Number.isFinite(to) || count < 1) throw new Error(`--set ${text}: a range is ${range[1]}:FROM:TO:COUNT with numbers`);
    return { nodeId, field, values: range[1] === 'lin' ? linearValues(from, to, count) : logValues(from, to, count) };
  }
  return { nodeId, field, values: list.split(',').map(parseValue) };
}

function parseValue(text: string): SweepValue {
  const t = text.trim();
  if (t === 'true' || t === 'false') return t === 'true';
  const n = Number(t);
  return t !== '' && Number.isFinite(n) ? n : t;
}

function parse() {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        set: { type: 'string', multiple: true, default: [] },
        steps: { type: 'string' },
        out: { type: 'string' },
        backend: { type: 'string', default: 'wasm' },
        executor: { type: 'string', default: 'node' },
        data: { type: 'string' },
      },
    });
  } catch (e) {
    fail(`${(e as Error).message}\n${USAGE}`);
  }
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const fixed = (x: number | undefined, digits = 4) => (x === undefined ? '-' : x.toFixed(digits));

async function main() {
  const { values, positionals } = parse();
  if (positionals.length !== 1 || !values.set!.length) fail(USAGE);
  if (values.executor !== 'node') fail('--executor: this command trains on the node executor; launch torch sweeps with POST /api/sweeps');
  const steps = values.steps === undefined ? undefined : Number(values.steps);
  if (steps !== undefined && (!Number.isInteger(steps) || steps < 1)) fail('--steps must be a positive integer');
  let axes: SweepAxis[];
  try {
    axes = values.set!.map(parseSet);
  } catch (e) {
    fail((e as Error).message);
  }
  const path = resolve(positionals[0]);
  let pipeline: unknown;
  try {
    pipeline = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    fail(`cannot read ${path}: ${(e as Error).message}`);
  }
  if (steps !== undefined) pipeline = { ...(pipeline as object), training: { ...(pipeline as { training?: object }).training, steps } };
  const expanded = expandSweep(pipeline, axes);
  if (!expanded.ok) fail(expanded.errors.map((e) => `${e.nodeId}.${e.field}: ${e.message}`).join('\n'), 1);

  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const root = resolve(values.out ?? join('runs', `sweep-${basename(path, '.json')}-${stamp}`));
  const rows = [[...axes.map(axisKey), 'status', 'loss', 'best val (step)', 'final val', 'tok/s', 'run folder']];
  let failed = 0;
  for (const [i, point] of expanded.points.entries()) {
    const label = Object.entries(point.values)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    console.log(`point ${i + 1}/${expanded.points.length}: ${label}`);
    const outDir = join(root, `point-${String(i + 1).padStart(3, '0')}`);
    let status = 'failed';
    const outcome = await trainPipeline({
      pipeline: point.pipeline,
      outDir,
      backend: values.backend as BackendName,
      dataDir: values.data,
      baseDir: dirname(path),
      sink: { emit: (e) => e.type === 'error' && console.error(`  error: ${e.nodeId ?? ''} ${e.data.message}`) },
    }).catch((e: Error) => console.error(`  error: ${e.message}`));
    if (outcome?.compiled) status = outcome.result.status;
    if (status !== 'completed') failed++;
    const log = summarizeLog(await readFile(join(outDir, 'train_log.jsonl'), 'utf8').catch(() => ''));
    const best = log.bestValLoss === undefined ? '-' : `${fixed(log.bestValLoss)} (${log.bestValStep})`;
    rows.push([...Object.values(point.values).map(String), status, fixed(log.loss), best, fixed(log.finalValLoss), fixed(log.tokensPerSec, 0), outDir]);
  }
  console.log(`\n${table(rows)}`);
  process.exit(failed ? 1 : 0);
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) await main();
