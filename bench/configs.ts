// The reference configs of `npm run bench` and the pipeline document each one trains: the standard
// loop dataset(files) -> get_batch -> model -> loss -> backward -> clip -> AdamW <- cosine
// schedule, plus a train log, i.e. what a user's run does minus the periodic eval/sample/checkpoint
// (they would distort a per-step median). Also the FLOP count used for GFLOP/s and MFU.
import { torchModelConfig } from '../engine/export/torch/export';
import { resolveGptConfig, type GptConfig } from '../engine/model/config';
import { modelNodeParams } from '../engine/nodes/model';

/** One benchmark config: a model, a batch and how many steps each kind of executor gets. */
export interface BenchConfig {
  name: string; // 'R', 'S4', ...
  description: string;
  model: GptConfig;
  batch: number; // sequences per step (B); tokens/step = batch * contextLength
  /** Timed steps (after warm-up) per executor; fewer where a step is slow. */
  steps: { fast: number; slow: number };
  warmup: number;
}

/**
 * The arguments of bench/torch_bench.py (at `script`) that step config `cfg` with the exporter's
 * model files in `modelDir`; callers append their own (threads, device, dtype).
 * @example spawnSync(python, [...torchBenchArgs(script, dir, benchConfig('R'), 20, 3), '--threads', '1'])
 */
export function torchBenchArgs(script: string, modelDir: string, cfg: BenchConfig, steps: number, warmup: number): string[] {
  const model = JSON.stringify(torchModelConfig(cfg.model));
  return [script, '--model-dir', modelDir, '--config', model, '--batch', String(cfg.batch), '--steps', String(steps), '--warmup', String(warmup)];
}

const base = { ropeTheta: 10000, tieEmbeddings: true } as const;

/** R: the byte-level reference (~427k params), GELU + LayerNorm. */
export const CONFIG_R: GptConfig = {
  ...base,
  vocabSize: 256,
  contextLength: 64,
  dModel: 128,
  nLayers: 2,
  nHeads: 4,
  dFF: 512,
  norm: 'layernorm',
  ffn: 'gelu',
};
/** S: MicroLM-style, SwiGLU + RMSNorm, vocab 512. */
export const CONFIG_S: GptConfig = {
  ...base,
  vocabSize: 512,
  contextLength: 64,
  dModel: 128,
  nLayers: 2,
  nHeads: 4,
  dFF: 256,
  norm: 'rmsnorm',
  ffn: 'swiglu',
};
/** M: 8 layers of width 512, context 256, vocab 6400 (~29M params); d_ff = 2.75 C (LLaMA-style 8/3 C rounded to 64). */
export const CONFIG_M: GptConfig = {
  ...base,
  vocabSize: 6400,
  contextLength: 256,
  dModel: 512,
  nLayers: 8,
  nHeads: 8,
  dFF: 1408,
  norm: 'rmsnorm',
  ffn: 'swiglu',
};

/** L: LLaMA-style at S's size: RMSNorm, RoPE, SwiGLU, GQA (4 query heads share 2 kv heads), untied head; d_ff = 8/3 C rounded to 32. */
export const CONFIG_L: GptConfig = {
  vocabSize: 512,
  contextLength: 64,
  dModel: 128,
  nLayers: 2,
  nHeads: 4,
  nKvHeads: 2,
  dFF: 352,
  ropeTheta: 10000,
  norm: 'rmsnorm',
  ffn: 'swiglu',
  tieEmbeddings: false,
};

/** Q: the quality config (time to a validation loss), LayerNorm + GELU on Brown bytes. */
export const CONFIG_Q: GptConfig = {
  ...base,
  vocabSize: 256,
  contextLength: 128,
  dModel: 128,
  nLayers: 4,
  nHeads: 4,
  dFF: 512,
  norm: 'layernorm',
  ffn: 'gelu',
};

export const BENCH_CONFIGS: BenchConfig[] = [
  { name: 'R', description: 'V256 d128 L2 H4 T64 B16 ff512 GELU LayerNorm tied', model: CONFIG_R, batch: 16, steps: { fast: 30, slow: 3 }, warmup: 5 },
  { name: 'S4', description: 'V512 d128 L2 H4 T64 B4 ff256 SwiGLU RMSNorm tied', model: CONFIG_S, batch: 4, steps: { fast: 40, slow: 3 }, warmup: 5 },
  { name: 'S16', description: 'V512 d128 L2 H4 T64 B16 ff256 SwiGLU RMSNorm tied', model: CONFIG_S, batch: 16, steps: { fast: 30, slow: 3 }, warmup: 5 },
  {
    name: 'L',
    description: 'V512 d128 L2 H4 KV2 T64 B16 ff352 SwiGLU RMSNorm RoPE untied (llama-style)',
    model: CONFIG_L,
    batch: 16,
    steps: { fast: 30, slow: 3 },
    warmup: 5,
  },
  { name: 'M', description: 'V6400 d512 L8 H8 T256 B4 ff1408 SwiGLU RMSNorm tied', model: CONFIG_M, batch: 4, steps: { fast: 3, slow: 2 }, warmup: 1 },
];

/** Configs run only when named (`--configs Q`): not part of the default set. */
export const EXTRA_BENCH_CONFIGS: BenchConfig[] = [
  {
    name: 'Q',
    description: 'V256 d128 L4 H4 T128 B32 ff512 GELU LayerNorm tied (the quality config)',
    model: CONFIG_Q,
    batch: 32,
    steps: { fast: 8, slow: 2 },
    warmup: 3,
  },
];

/**
 * The bench config of that name, default or extra.
 * @example benchConfig('Q').batch // 32
 */
export function benchConfig(name: string): BenchConfig {
  const all = [...BENCH_CONFIGS, ...EXTRA_BENCH_CONFIGS];
  const cfg = all.find((c) => c.name === name);
  if (!cfg) throw new Error(`unknown bench config ${name} (have ${all.map((c) => c.name).join(', ')})`);
  return cfg;
}

/** Parameters that take part in matmuls: every [in, out] matrix and the output head (wte when tied). */
export function matmulParams(config: GptConfig): number {
  const c = resolveGptConfig(config);
  const { dModel: C, dFF: F, nLayers: L, vocabSize: V, headDim: hs } = c;
  const attention = 2 * C * c.nHeads * hs + 2 * C * c.nKvHeads * hs; // wq, wo; wk, wv
  const perBlock = attention + (c.ffn === 'swiglu' ? 3 : 2) * C * F;
  return L * perBlock + C * V; // the head is [C, V] either way; an untied wte (and wpe) is a lookup, no FLOPs
}

/**
 * Training FLOPs of one step: 6 * N * tokens (forward 2N, backward 4N per token, N = matmulParams)
 * plus attention 12 * L * B * T^2 * nH*hs (q k^T and att v: 2 * 2 * B * T^2 * nH*hs forward, twice
 * that backward; the full T x T square, as both executors compute it, not the causal half; nH*hs
 * is C unless head_dim says otherwise).
 * Elementwise work (norms, softmax, optimizer) is not counted.
 * @example
 *   stepFlops(CONFIG_R, 16); // ~2.9e9
 */
export function stepFlops(c: GptConfig, batch: number): number {
  const T = c.contextLength;
  const tokens = batch * T;
  const r = resolveGptConfig(c);
  return 6 * matmulParams(c) * tokens + 12 * c.nLayers * batch * T * T * r.nHeads * r.headDim;
}

/**
 * The pipeline document a bench run trains: ids from files (the bench serves them from memory),
 * AdamW (wd 0.1, betas 0.9/0.95), clip 1.0, cosine schedule, a log line every 10 steps; with
 * `evalBatches`, an eval node of that many batches (of the training batch size) after the last step.
 * @example
 *   compile(benchPipeline(BENCH_CONFIGS[0], 35));
 */
export function benchPipeline(cfg: BenchConfig, steps: number, evalBatches = 0): unknown {
  const m = cfg.model;
  const node = (id: string, params: Record<string, unknown>) => ({ id, type: id, params, position: { x: 0, y: 0 } });
  const edge = (source: string, sourceHandle: string, target: string, targetHandle: string) => ({
    id: `${source}.${sourceHandle}->${target}.${targetHandle}`,
    source,
    sourceHandle,
    target,
    targetHandle,
  });
  return {
    version: 1,
    meta: { name: `bench ${cfg.name}`, description: cfg.description },
    training: { steps, seed: 1337 },
    nodes: [
      node('dataset', { source: 'files', train_path: 'train_ids.npy', valid_path: 'valid_ids.npy' }),
      node('get_batch', { batch_size: cfg.batch, context_length: m.contextLength, seed: 1 }),
      node('model', modelNodeParams(m)),
      node('loss', {}),
      node('backward', { grad_accum_steps: 1 }),
      node('clip', { max_norm: 1.0 }),
      node('scheduler', { kind: 'cosine', lr: 1e-3, min_lr: 1e-4, warmup_steps: 10 }),
      node('optimizer', { kind: 'adamw', weight_decay: 0.1, beta1: 0.9, beta2: 0.95 }),
      node('log', { every: 10 }),
      ...(evalBatches > 0 ? [node('eval', { every: steps, batches: evalBatches, batch_size: cfg.batch, seed: 42 })] : []),
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
      edge('backward', 'loss', 'log', 'loss'),
      ...(evalBatches > 0 ? [edge('optimizer', 'model', 'eval', 'model'), edge('dataset', 'valid', 'eval', 'data')] : []),
    ],
  };
}

/**
 * A shape's bench config (bench/threads.ts, bench/engine-worker.ts --config): a bench config name
 * with an optional batch (M, M:2), or d<d_model>t<T>b<B>l<layers>: a GELU/LayerNorm model with
 * d_ff 4·d and 32-wide heads.
 * @example shapeConfig('M:2').batch // 2
 */
export function shapeConfig(shape: string): BenchConfig {
  const m = /^d(\d+)t(\d+)b(\d+)l(\d+)$/.exec(shape);
  if (!m) {
    const [name, batch] = shape.split(':');
    const base = benchConfig(name);
    return { ...base, name: shape, batch: batch ? Number(batch) : base.batch };
  }
  const [dModel, contextLength, batch, nLayers] = m.slice(1).map(Number);
  const model = { ...CONFIG_Q, dModel, contextLength, nLayers, nHeads: Math.max(1, dModel / 32), dFF: 4 * dModel };
  return { name: shape, description: shape, model, batch, steps: { fast: 20, slow: 3 }, warmup: 3 };
}
