// Node-only helpers shared by the PyTorch export tests (*.test.ts here): a small token dataset,
// pipelines of the standard loop, the engine run in-process, and train.py run with Debian's torch.
// Not imported by any non-test file.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeSafetensors, f32Tensor } from '../../checkpoint/safetensors';
import { compile } from '../../compiler/compile';
import { encodeNpy } from '../../data/npy';
import { Gpt } from '../../model/gpt';
import { gptConfig } from '../../nodes/model';
import { trainPipeline } from '../../node/train';
import type { Plan } from '../../plan';
import { Rng } from '../../random';
import { useBackend } from '../../node/backend';
import { DEFAULT_PYTHON } from '../../node/torch-launch';
import { writeTorchExport } from '../../node/torch-export';

export const PYTHON = DEFAULT_PYTHON;

/**
 * Byte-level token ids of a small made-up text ("the cat sat on a mat. ..."): train.npy (27k ids)
 * and valid.npy (3k) in `dir`. Structured enough that the loss falls within a few steps.
 */
export function writeTokenData(dir: string): { train: string; valid: string } {
  mkdirSync(dir, { recursive: true });
  const rng = new Rng(3);
  const words = ['the ', 'cat ', 'sat ', 'on ', 'a ', 'mat. ', 'dog ', 'ran ', 'Émile '];
  let text = '';
  while (text.length < 30_000) text += words[rng.index(words.length)];
  const ids = Uint16Array.from(new TextEncoder().encode(text)).subarray(0, 30_000);
  const paths = { train: join(dir, 'train.npy'), valid: join(dir, 'valid.npy') };
  writeFileSync(paths.train, encodeNpy(ids.subarray(0, 27_000)));
  writeFileSync(paths.valid, encodeNpy(ids.subarray(27_000)));
  return paths;
}

type Params = Record<string, unknown>;

export interface LoopOptions {
  data: { train: string; valid: string };
  name?: string;
  steps?: number;
  seed?: number;
  batch?: Params;
  model?: Params;
  backward?: Params;
  clip?: Params | null; // null: no clip node
  scheduler?: Params | null; // null: no scheduler
  optimizer?: Params;
  eval?: Params | null;
  checkpoint?: Params | null;
  log?: Params;
  sample?: Params | null;
}

/** A pipeline document of the standard loop over `data`, tiny by default; null drops an optional node. */
export function loopPipeline(o: LoopOptions): Record<string, unknown> {
  const node = (id: string, type: string, params: Params = {}) => ({ id, type, params });
  const edge = (s: string, sh: string, t: string, th: string) => ({ id: `${s}.${sh}->${t}.${th}`, source: s, sourceHandle: sh, target: t, targetHandle: th });
  const nodes = [
    node('dataset', 'dataset', { source: 'files', train_path: o.data.train, valid_path: o.data.valid }),
    node('get_batch', 'get_batch', { batch_size: 4, context_length: 16, seed: 5, ...o.batch }),
    node('model', 'model', { vocab_size: 256, context_length: 16, d_model: 32, n_layers: 2, n_heads: 2, d_ff: 64, ...o.model }),
    node('loss', 'loss'),
    node('backward', 'backward', { ...o.backward }),
    node('optimizer', 'optimizer', { kind: 'adamw', ...o.optimizer }),
    node('log', 'log', { every: 1, ...o.log }),
  ];
  const edges = [
    edge('dataset', 'train', 'get_batch', 'tokens'),
    edge('get_batch', 'x', 'model', 'x'),
    edge('model', 'logits', 'loss', 'logits'),
    edge('get_batch', 'y', 'loss', 'targets'),
    edge('loss', 'loss', 'backward', 'loss'),
    edge('model', 'model', 'optimizer', 'model'),
    edge('backward', 'loss', 'log', 'loss'),
  ];
  if (o.clip !== null) {
    nodes.push(node('clip', 'clip', { max_norm: 1, ...o.clip }));
    edges.push(edge('backward', 'grads', 'clip', 'grads'), edge('clip', 'grads', 'optimizer', 'grads'));
  } else {
    edges.push(edge('backward', 'grads', 'optimizer', 'grads'));
  }
  if (o.scheduler !== null) {
    nodes.push(node('scheduler', 'scheduler', { kind: 'cosine', lr: 0.01, min_lr: 0.001, warmup_steps: 3, ...o.scheduler }));
    edges.push(edge('scheduler', 'lr', 'optimizer', 'lr'));
  }
  if (o.eval) {
    nodes.push(node('eval', 'eval', { every: 10, batches: 2, batch_size: 4, ...o.eval }));
    edges.push(edge('optimizer', 'model', 'eval', 'model'), edge('dataset', 'valid', 'eval', 'data'));
  }
  if (o.checkpoint) {
    nodes.push(node('checkpoint', 'checkpoint', { every: 10, keep_last: 5, ...o.checkpoint }));
    edges.push(edge('optimizer', 'model', 'checkpoint', 'model'));
  }
  if (o.sample) {
    nodes.push(node('sample', 'sample', { every: 10, max_new_tokens: 12, ...o.sample }));
    edges.push(edge('optimizer', 'model', 'sample', 'model'), edge('dataset', 'train', 'sample', 'data'));
  }
  return { version: 1, meta: { name: o.name ?? 'torch export test' }, training: { steps: o.steps ?? 20, seed: o.seed ?? 1 }, nodes, edges };
}

/** The compiled plan of a pipeline document; throws on diagnostics (a bug in the test). */
export function planOf(pipeline: unknown): Plan {
  const result = compile(pipeline);
  if (!result.ok) throw new Error(result.diagnostics.map((d) => `${d.nodeId}.${d.field}: ${d.message}`).join('\n'));
  return result.plan;
}

/**
 * The engine's initial weights for the plan's model (Gpt(config, plan.seed)) as a safetensors
 * file, for train.py --init-from: both executors start from exactly the same numbers.
 */
export async function writeInitialWeights(plan: Plan, path: string): Promise<void> {
  await useBackend('cpu');
  const modelNode = plan.nodes.find((n) => n.kind === 'model')!;
  const gpt = new Gpt(gptConfig(modelNode.params as Parameters<typeof gptConfig>[0]), plan.seed);
  try {
    const tensors = new Map([...gpt.params].map(([name, v]) => [name, f32Tensor(v.shape, v.dataSync() as Float32Array)]));
    writeFileSync(path, encodeSafetensors(tensors));
  } finally {
    gpt.dispose();
  }
}

/** Trains `pipeline` with the engine in this process on the tfjs cpu backend; returns train_log.jsonl. */
export async function runEngine(pipeline: unknown, outDir: string, options: { resume?: string; steps?: number } = {}): Promise<StepLine[]> {
  const outcome = await trainPipeline({ pipeline, outDir, backend: 'cpu', sink: { emit() {} }, ...options });
  if (!outcome.compiled) throw new Error('pipeline did not compile');
  if (outcome.result.status !== 'completed') throw new Error(`engine run ${outcome.result.status}: ${outcome.result.error?.message}`);
  return readJsonl(join(outDir, 'train_log.jsonl')) as unknown as StepLine[];
}

/** Runs the export's train.py (isolated mode: no user site, no script dir on sys.path). */
export function runTrainPy(exportDir: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(PYTHON, ['-I', join(exportDir, 'train.py'), ...args], {
    cwd: exportDir,
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: '1' },
    timeout: 120_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

export interface StepLine {
  step: number;
  loss: number;
  lr?: number;
  grad_norm?: number;
  val_loss?: number;
  tokens_per_sec: number;
  step_ms: number;
  elapsed_s: number;
}

export function readJsonl(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

/** Largest |a - b| / |b| over the field of matching lines (same steps required). */
export function maxRelDiff(a: StepLine[], b: StepLine[], field: 'loss' | 'val_loss' | 'grad_norm' | 'lr' = 'loss'): number {
  if (a.length !== b.length || a.some((l, i) => l.step !== b[i].step)) {
    throw new Error(`different steps: ${a.map((l) => l.step)} vs ${b.map((l) => l.step)}`);
  }
  let max = 0;
  a.forEach((l, i) => {
    const x = l[field];
    const y = b[i][field];
    if (x === undefined && y === undefined) return;
    if (x === undefined || y === undefined) throw new Error(`step ${l.step}: ${field} only on one side`);
    max = Math.max(max, Math.abs(x - y) / Math.abs(y));
  });
  return max;
}

/**
 * Trains `pipeline` with the engine here and with its export's train.py from the same initial
 * weights (written to `dir` as `${name}-init.safetensors`); both train logs, for a parity check.
 * @example
 *   const { engine, torch } = await trainBoth(dir, 'adamw', loopPipeline({ data, steps: 20 }));
 */
export async function trainBoth(dir: string, name: string, pipeline: unknown): Promise<{ engine: StepLine[]; torch: StepLine[]; exportDir: string }> {
  const plan = planOf(pipeline);
  const exportDir = join(dir, name);
  await writeTorchExport(plan, exportDir);
  await writeInitialWeights(plan, join(dir, `${name}-init.safetensors`));
  const engine = await runEngine(pipeline, join(dir, `${name}-engine`));
  const run = runTrainPy(exportDir, ['--device', 'cpu', '--init-from', join(dir, `${name}-init.safetensors`)]);
  if (run.status !== 0) throw new Error(`train.py exited with ${run.status}: ${run.stderr}`);
  const torch = readJsonl(join(exportDir, 'run', 'train_log.jsonl')) as unknown as StepLine[];
  return { engine, torch, exportDir };
}
