// `npm run bench -- --quality`: time to quality. Trains the quality config (4 layers, d 128, 4
// heads, ctx 128, batch 32, LayerNorm + GELU, AdamW 3e-3 -> 3e-4 cosine after 100 warmup steps,
// clip 1, 2,000 steps on Brown bytes, eval of 50 batches at each fifth) on the node executor (the
// CLI, its automatic thread choice) and with the exported train.py (PyTorch on the CPU, its default
// threads), one after the other in the same run, and reports the validation loss at each fifth and
// the wall time to reach val 1.60 (counted from the first step, eval included), side by side.
// Writes bench/quality-results.json (or --out DIR).
//
// Usage: node --import tsx bench/quality.ts [--steps 2000] [--target 1.6] [--data data] [--out bench] [--eval-batches 50]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { compile } from '../engine/compiler/compile';
import { writeTorchExport } from '../engine/node/torch-export';
import { DEFAULT_PYTHON } from '../engine/node/torch-launch';
import { CONFIG_Q } from './configs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');

/**
 * The quality pipeline over the bundled Brown corpus, byte-level, for `steps` steps (fewer eval
 * batches than the 50 of record only for smoke runs).
 * @example compile(qualityPipeline(2000)).ok // true
 */
export function qualityPipeline(steps: number, evalBatches = 50): unknown {
  const m = CONFIG_Q;
  const evalEvery = Math.max(1, Math.round(steps / 5));
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  const node = (id: string, params: Record<string, unknown> = {}) => ({ id, type: id, params });
  const edge = (s: string, sh: string, t: string, th: string) => ({ id: `${s}.${sh}->${t}.${th}`, source: s, sourceHandle: sh, target: t, targetHandle: th });
  return {
    version: 1,
    meta: { name: 'quality', description: 'time to quality: val loss against wall time' },
    training: { steps, seed: 1337 },
    nodes: [
      node('dataset', { source: 'brown', tokenizer: 'byte' }),
      node('get_batch', { batch_size: 32, context_length: m.contextLength, seed: 1 }),
      node('model', {
        vocab_size: m.vocabSize,
        context_length: m.contextLength,
        d_model: m.dModel,
        n_layers: m.nLayers,
        n_heads: m.nHeads,
        d_ff: m.dFF,
        norm: m.norm,
        ffn: m.ffn,
        tie_embeddings: m.tieEmbeddings,
      }),
      node('loss'),
      node('backward'),
      node('clip', { max_norm: 1 }),
      node('scheduler', { kind: 'cosine', lr: 3e-3, min_lr: 3e-4, warmup_steps: Math.min(100, Math.floor(steps / 10)) }),
      node('optimizer', { kind: 'adamw', weight_decay: 0.1, beta1: 0.9, beta2: 0.95 }),
      node('eval', { every: evalEvery, batches: evalBatches, batch_size: 32, seed: 42 }),
      node('log', { every: gcd(50, evalEvery) }), // a log line at every eval step, which carries val_loss
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
      edge('backward', 'loss', 'log', 'loss'),
    ],
  };
}

interface LogLine {
  step: number;
  elapsed_s: number;
  val_loss?: number;
}

export interface QualityCurve {
  executor: string;
  status: 'ok' | 'failed';
  evals: { step: number; valLoss: number; elapsedS: number }[];
  /** Seconds from the start to the first eval at or below the target; null if never reached. */
  secondsToTarget: number | null;
  wallS?: number;
  error?: string;
}

/**
 * The eval points of a train_log.jsonl and the time the target was first reached.
 * @example qualityCurve('node', lines, 1.6).secondsToTarget // 212.4
 */
export function qualityCurve(executor: string, lines: LogLine[], target: number): QualityCurve {
  const evals = lines.filter((l) => l.val_loss !== undefined).map((l) => ({ step: l.step, valLoss: l.val_loss!, elapsedS: l.elapsed_s }));
  const reached = evals.find((e) => e.valLoss <= target);
  return { executor, status: 'ok', evals, secondsToTarget: reached ? reached.elapsedS : null, wallS: lines.at(-1)?.elapsed_s };
}

function readLog(path: string): LogLine[] {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as LogLine);
}

function run(cmd: string, args: string[], cwd: string): string | undefined {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 4 * 3600_000, maxBuffer: 64 << 20 });
  return r.status === 0 ? undefined : r.error ? String(r.error) : (r.stderr || r.stdout || `exit ${r.status}`).trim().split('\n').slice(-3).join(' | ');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      steps: { type: 'string', default: '2000' },
      'eval-batches': { type: 'string', default: '50' },
      target: { type: 'string', default: '1.6' },
      data: { type: 'string', default: 'data' },
      out: { type: 'string', default: HERE },
    },
  });
  const steps = Number(values.steps);
  const target = Number(values.target);
  if (!Number.isInteger(steps) || steps < 5) throw new Error(`--steps must be a whole number >= 5, got ${values.steps}`);
  if (!(target > 0)) throw new Error(`--target must be a positive loss, got ${values.target}`);
  const evalBatches = Number(values['eval-batches']);
  if (!Number.isInteger(evalBatches) || evalBatches < 1) throw new Error(`--eval-batches must be a whole number >= 1, got ${values['eval-batches']}`);
  const work = mkdtempSync(join(tmpdir(), 'bench-quality-'));
  const load0 = loadavg();
  try {
    const doc = qualityPipeline(steps, evalBatches);
    const compiled = compile(doc);
    if (!compiled.ok) throw new Error(JSON.stringify(compiled.diagnostics));
    const pipelinePath = join(work, 'quality.json');
    writeFileSync(pipelinePath, JSON.stringify(doc));
    const dataDir = resolve(ROOT, values.data!);
    const curves: QualityCurve[] = [];
    const nodeOut = join(work, 'node');
    process.stdout.write(`quality: node executor, ${steps} steps...\n`);
    const nodeError = run(process.execPath, ['--import', 'tsx', join(ROOT, 'cli', 'train.ts'), pipelinePath, '--out', nodeOut, '--data', dataDir], ROOT);
    curves.push(
      nodeError
        ? { executor: 'node', status: 'failed', evals: [], secondsToTarget: null, error: nodeError }
        : qualityCurve('node', readLog(join(nodeOut, 'train_log.jsonl')), target),
    );
    const exportDir = join(work, 'torch');
    process.stdout.write('quality: exported train.py...\n');
    await writeTorchExport(compiled.plan, exportDir, { dataDir });
    const torchError = run(process.env.PYTHON ?? DEFAULT_PYTHON, [join(exportDir, 'train.py'), '--device', 'cpu', '--out', join(exportDir, 'run')], exportDir);
    curves.push(
      torchError
        ? { executor: 'torch', status: 'failed', evals: [], secondsToTarget: null, error: torchError }
        : qualityCurve('torch', readLog(join(exportDir, 'run', 'train_log.jsonl')), target),
    );
    report(curves, { steps, target, load0, out: values.out! });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function report(curves: QualityCurve[], o: { steps: number; target: number; load0: number[]; out: string }): void {
  const meta = {
    date: new Date().toISOString(),
    steps: o.steps,
    target: o.target,
    cpu: cpus()[0]?.model,
    cpus: cpus().length,
    loadavgStart: o.load0,
    loadavgEnd: loadavg(),
  };
  mkdirSync(o.out, { recursive: true });
  writeFileSync(join(o.out, 'quality-results.json'), JSON.stringify({ meta, curves }, null, 2) + '\n');
  const [node, torch] = curves;
  const lines = [
    `quality config, ${o.steps} steps; load average ${o.load0.map((x) => x.toFixed(2)).join(' ')} at start, ${meta.loadavgEnd.map((x) => x.toFixed(2)).join(' ')} at the end`,
    '',
    '| step | node val loss | node s | torch val loss | torch s |',
    '|---|---|---|---|---|',
  ];
  for (let i = 0; i < Math.max(node.evals.length, torch.evals.length); i++) {
    const a = node.evals[i];
    const b = torch.evals[i];
    lines.push(
      `| ${a?.step ?? b?.step} | ${a?.valLoss.toFixed(4) ?? ''} | ${a?.elapsedS.toFixed(1) ?? ''} | ${b?.valLoss.toFixed(4) ?? ''} | ${b?.elapsedS.toFixed(1) ?? ''} |`,
    );
  }
  const t = (c: QualityCurve) => (c.status !== 'ok' ? `failed (${c.error})` : c.secondsToTarget === null ? 'not reached' : `${c.secondsToTarget.toFixed(1)} s`);
  lines.push('', `time to val ${o.target}: node ${t(node)}, torch ${t(torch)}`);
  if (node.wallS && torch.wallS)
    lines.push(
      `whole run (eval included): node ${node.wallS.toFixed(1)} s, torch ${torch.wallS.toFixed(1)} s, node speed ÷ torch ${(torch.wallS / node.wallS).toFixed(2)}`,
    );
  process.stdout.write(lines.join('\n') + `\nwrote ${join(o.out, 'quality-results.json')}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: Error) => {
    console.error(`bench --quality: ${err.message}`);
    process.exit(1);
  });
}
