// How much memory a plan's run needs, before it starts: parameters, their gradients and the
// optimizer's state, the activations one micro-batch keeps for its backward pass, the eval and
// sample buffers, per executor. Everything is float32 (4 bytes), as every executor trains.
//
// tfjs (node and browser executors): tf.variableGrads keeps every tensor the forward pass creates
// until the backward pass ends, so a layer holds all its intermediates, not only those the
// gradients read. Per token and layer the forward creates 17 C + 3 F floats (SwiGLU; 2 F for
// GELU and relu²) and 2 H T for the attention scores (scores + mask, softmax); of the 17 C, 6 are
// residual-width (norms, adds, wo out), 5 query-width (q, roped, by head; y, merged) and 6
// key/value-width (k, roped, by head, transposed; v, by head), so GQA/MQA and head_dim scale their
// share, and QK-norm adds one query- and one key-width copy. The backward pass adds about
// half as much again for the gradients of those activations. The logits cost 3 V per token
// (logits, the fused cross-entropy's gradient, its reshaped copy), plus ~16 MB of kernel scratch
// and wasm heap growth. The backward factor and the score and logit terms were fitted to peak RSS
// on M with batch 1-8, context 128/256 and vocabulary 6400/25600; `npm run bench:memory`
// (bench/memory.ts) checks the estimate on R, S and M (docs/security.md has the figures).
// torch: autograd saves only what its backward reads (about 12 C + 4 F per token and layer, and
// the T x T softmax when PyTorch has no fused attention), and the process itself starts at about
// 300 MB (Python, PyTorch).
import type { FfnKind } from '../model/config';
import type { Plan } from '../plan';
import { planShapes, type ModelShape, type PlanShapes, type TrainShape } from './shapes';

export { planShapes, type PlanShapes } from './shapes';

export const FLOAT32_BYTES = 4;

/** Which runtime trains the plan: the node/browser executors run tfjs, torch runs PyTorch. */
export type MemoryExecutor = 'node' | 'browser' | 'torch';

/** Floats per token (and per layer) each runtime keeps for the backward pass; see the header. */
interface ActivationProfile {
  perLayerC: number; // x d_model
  perLayerF: Record<FfnKind, number>; // x d_ff
  perLayerScores: number; // x n_heads x context (the T x T attention matrix, per query token)
  perTokenV: number; // x vocab_size (logits and their gradient)
  forwardPerLayerC: number; // a forward pass alone (eval, sampling): x d_model
  forwardPerLayerF: Record<FfnKind, number>; // ... x d_ff
  inferenceKeepsLayers: boolean; // whether a forward pass without gradients keeps every layer's tensors
  tiedHeadCopies: number; // extra [V, C] tensors a tied head creates (transposed wte, its gradient)
  runtimeBytes: number; // what the runtime adds above its loaded process: scratch buffers, the wasm heap growing in steps
}

const BACKWARD_FACTOR = 1.5; // tfjs: gradients of the kept activations, on top of them

const PROFILES: Record<'tfjs' | 'torch', ActivationProfile> = {
  tfjs: {
    perLayerC: 17 * BACKWARD_FACTOR,
    perLayerF: { swiglu: 3 * BACKWARD_FACTOR, gelu: 2 * BACKWARD_FACTOR, relu2: 2 * BACKWARD_FACTOR },
    perLayerScores: 2,
    perTokenV: 3,
    tiedHeadCopies: 2,
    runtimeBytes: 16e6,
    forwardPerLayerC: 17,
    forwardPerLayerF: { swiglu: 3, gelu: 2, relu2: 2 },
    inferenceKeepsLayers: true,
  },
  torch: {
    perLayerC: 12,
    perLayerF: { swiglu: 4, gelu: 2, relu2: 2 },
    perLayerScores: 3,
    perTokenV: 3,
    tiedHeadCopies: 0,
    runtimeBytes: 300e6,
    forwardPerLayerC: 4,
    forwardPerLayerF: { swiglu: 3, gelu: 2, relu2: 2 },
    inferenceKeepsLayers: false,
  },
};

/** Bytes by what holds them; `total` is what the run needs at its peak. */
export interface MemoryParts {
  weights: number;
  gradients: number; // one gradient per parameter (and a running sum with grad_accum_steps > 1)
  optimizer: number; // the optimizer's per-parameter state
  activations: number; // one micro-batch's forward/backward working set
  eval: number; // an evaluation batch's forward pass (between steps, not on top of them)
  sampling: number; // generating one token (between steps)
  runtime: number;
  total: number;
}

/** What one node contributes, and its params that shrink it (largest share first). */
export interface NodeMemory {
  bytes: number;
  fields: string[];
}

export interface MemoryEstimate {
  executor: MemoryExecutor;
  parameters: number; // scalar parameters of the model
  bytes: MemoryParts;
  /** Bytes by the node whose params decide them (model: weights, gradients, state; get_batch: activations). */
  nodes: Record<string, NodeMemory>;
}

/**
 * The model's "d_model" per token and layer for the activation counts: C by default; with other
 * attention widths the 17 C of the header split into 6 C + 5 q-width + 6 kv-width (+ QK-norm copies).
 */
function activationWidth(m: ModelShape): number {
  return (6 * m.dModel + 5 * m.qWidth + 6 * m.kvWidth + (m.qkNorm ? m.qWidth + m.kvWidth : 0)) / 17;
}

/**
 * One forward pass without gradients (eval, sampling), in floats: tfjs keeps every layer's
 * intermediates until the pass ends (one tf.tidy), PyTorch only one layer's at a time.
 * `headTokens` is how many positions get logits (all for eval, the last for sampling).
 */
function inferenceFloats(m: ModelShape, B: number, T: number, headTokens: number, p: ActivationProfile): number {
  const layer = B * T * (p.forwardPerLayerC * activationWidth(m) + p.forwardPerLayerF[m.ffn] * m.dFF) + p.perLayerScores * B * m.nHeads * T * T;
  return (p.inferenceKeepsLayers ? m.nLayers : 1) * layer + 2 * headTokens * m.vocabSize;
}

/** One training micro-batch's activations (floats), split by what drives them. */
function trainActivationFloats(m: ModelShape, t: TrainShape, p: ActivationProfile): { layers: number; scores: number; logits: number } {
  const tokens = t.batchSize * t.contextLength;
  return {
    layers: m.nLayers * tokens * (p.perLayerC * activationWidth(m) + p.perLayerF[m.ffn] * m.dFF),
    scores: m.nLayers * p.perLayerScores * t.batchSize * m.nHeads * t.contextLength * t.contextLength,
    logits: tokens * p.perTokenV * m.vocabSize,
  };
}

/** Orders a node's fields by the bytes they drive, largest first. */
function byShare(shares: Record<string, number>): string[] {
  return Object.entries(shares)
    .filter(([, v]) => v > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([k]) => k);
}

function estimateShapes(s: PlanShapes, executor: MemoryExecutor): MemoryEstimate {
  const p = PROFILES[executor === 'torch' ? 'torch' : 'tfjs'];
  const m = s.model;
  const paramBytes = m.parameters * FLOAT32_BYTES;
  const train = s.train;
  const tied = m.tied ? p.tiedHeadCopies * m.vocabSize * m.dModel * FLOAT32_BYTES : 0;
  const gradients = train ? paramBytes * (train.gradAccumSteps > 1 ? 2 : 1) + tied : 0;
  const optimizer = train ? train.optimizerFloats * FLOAT32_BYTES : 0; // per kind and param (engine/optim/kinds/)
  const acts = train ? trainActivationFloats(m, train, p) : { layers: 0, scores: 0, logits: 0 };
  const activations = (acts.layers + acts.scores + acts.logits) * FLOAT32_BYTES;
  const evalBytes = Math.max(0, ...s.evals.map((e) => inferenceFloats(m, e.batchSize, e.contextLength, e.batchSize * e.contextLength, p) * FLOAT32_BYTES));
  const sampling = Math.max(0, ...s.samples.map((x) => inferenceFloats(m, 1, x.window, 1, p) * FLOAT32_BYTES));
  // Eval and sampling run between steps, once the step's activations and gradients are freed.
  const peak = Math.max(gradients + activations, evalBytes, sampling);
  const total = paramBytes + optimizer + peak + p.runtimeBytes;
  const C = m.dModel;
  const ffnMatrices = m.ffn === 'swiglu' ? 3 : 2;
  const nodes: Record<string, NodeMemory> = {
    [m.nodeId]: {
      bytes: paramBytes + optimizer + gradients,
      // What each field scales: every parameter grows with d_model; the others with their own blocks.
      fields: byShare({
        d_model: m.parameters,
        vocab_size: m.vocabSize * C * (m.tied ? 1 : 2),
        n_layers: m.nLayers * m.blockParameters,
        d_ff: m.nLayers * ffnMatrices * C * m.dFF,
      }),
    },
  };
  if (train) {
    const tokens = acts.layers + acts.logits;
    nodes[train.nodeId] = { bytes: activations, fields: byShare({ batch_size: tokens + acts.scores, context_length: tokens + 2 * acts.scores }) };
    if (train.optimizerNodeId && optimizer > 0) nodes[train.optimizerNodeId] = { bytes: optimizer, fields: ['kind'] };
  }
  for (const e of s.evals)
    nodes[e.nodeId] = {
      bytes: inferenceFloats(m, e.batchSize, e.contextLength, e.batchSize * e.contextLength, p) * FLOAT32_BYTES,
      fields: ['batch_size', 'context_length'],
    };
  for (const x of s.samples) nodes[x.nodeId] = { bytes: inferenceFloats(m, 1, x.window, 1, p) * FLOAT32_BYTES, fields: ['max_new_tokens'] };
  return {
    executor,
    parameters: m.parameters,
    nodes,
    bytes: { weights: paramBytes, gradients, optimizer, activations, eval: evalBytes, sampling, runtime: p.runtimeBytes, total },
  };
}

/**
 * The memory a run of `plan` needs on `executor`, in bytes, at its peak; undefined when the plan
 * has no model.
 * @example
 *   estimateMemory(compile(seed).plan, 'node')?.bytes.total; // ~60e6 for the 0.56M-parameter seed
 */
export function estimateMemory(plan: Plan, executor: MemoryExecutor = 'node'): MemoryEstimate | undefined {
  const shapes = planShapes(plan);
  return shapes && estimateShapes(shapes, executor);
}

/**
 * Bytes as people read them: 3 significant digits, decimal units.
 * @example formatBytes(1.5e9) // '1.50 GB'
 */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = bytes;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return i === 0 ? `${Math.round(v)} B` : `${v.toPrecision(3)} ${units[i]}`;
}
