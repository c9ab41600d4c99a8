// What a plan trains, reduced to the sizes memory depends on: the model's shapes, the training
// micro-batch, the optimizer's state per parameter, and the eval and sample nodes' buffers.
import { resolveGptConfig } from '../model/config';
import { gptParamSpecs } from '../model/param-specs';
import type { ParamInfo } from '../optim/kinds/define';
import { optimizerStateFloats } from '../optim/kinds';
import { gptConfig } from '../nodes/model';
import type { Plan, PlanNode } from '../plan';

/** The model node's sizes (snake_case fields are the node's params, named in refusals). */
export interface ModelShape {
  nodeId: string;
  vocabSize: number; // V
  contextLength: number; // T the model accepts
  dModel: number; // C
  nLayers: number; // L
  nHeads: number; // H (query heads)
  dFF: number; // F
  ffn: 'swiglu' | 'gelu' | 'relu2';
  tied: boolean; // the output head is wte transposed
  qWidth: number; // query width n_heads * head_dim (C by default)
  kvWidth: number; // key/value width n_kv_heads * head_dim (smaller than qWidth with GQA/MQA)
  qkNorm: boolean; // QK-norm keeps normalised copies of q and k
  parameters: number; // scalar parameters (tied embeddings counted once)
  params: ParamInfo[]; // every parameter's name and shape, in the canonical order
  blockParameters: number; // scalar parameters of one transformer block
}

/** Sizes of one training micro-batch and what the step keeps besides it. */
export interface TrainShape {
  nodeId: string; // the get_batch node
  batchSize: number; // B
  contextLength: number; // T
  gradAccumSteps: number; // micro-batches per optimizer step (> 1 keeps a gradient sum)
  optimizerNodeId?: string;
  optimizerFloats: number; // the optimizer's state, in floats (adamw: m and v of every parameter)
}

export interface EvalShape {
  nodeId: string;
  batchSize: number;
  contextLength: number;
}

export interface SampleShape {
  nodeId: string;
  window: number; // tokens fed to the model per generated token: at most the context
}

export interface PlanShapes {
  model: ModelShape;
  train?: TrainShape;
  evals: EvalShape[];
  samples: SampleShape[];
}

const num = (node: PlanNode, key: string): number => Number(node.params[key]);

/** The model node's sizes, read through the same GptConfig and parameter list the model is built from. */
function modelShape(node: PlanNode): ModelShape {
  const c = resolveGptConfig(gptConfig(node.params as Parameters<typeof gptConfig>[0]));
  const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
  const specs = gptParamSpecs(c);
  return {
    nodeId: node.id,
    vocabSize: c.vocabSize,
    contextLength: c.contextLength,
    dModel: c.dModel,
    nLayers: c.nLayers,
    nHeads: c.nHeads,
    dFF: c.dFF,
    ffn: c.ffn,
    tied: c.tieEmbeddings,
    qWidth: c.nHeads * c.headDim,
    kvWidth: c.nKvHeads * c.headDim,
    qkNorm: c.qkNorm,
    parameters: specs.reduce((n, s) => n + size(s.shape), 0),
    blockParameters: specs.filter((s) => s.name.startsWith('blocks.0.')).reduce((n, s) => n + size(s.shape), 0),
    params: specs.map(({ name, shape }) => ({ name, shape })),
  };
}

/**
 * The sizes of the plan's model and of what feeds it; undefined when the plan trains no model.
 * @example planShapes(compile(seed).plan)?.train // { nodeId: 'get_batch', batchSize: 16, contextLength: 64, ... }
 */
export function planShapes(plan: Plan): PlanShapes | undefined {
  const modelNode = plan.nodes.find((n) => n.kind === 'model');
  if (!modelNode) return undefined;
  const model = modelShape(modelNode);
  const batch = plan.nodes.find((n) => n.kind === 'get_batch' && n.microOf) ?? plan.nodes.find((n) => n.kind === 'get_batch');
  const backward = plan.nodes.find((n) => n.kind === 'backward');
  const optimizer = plan.nodes.find((n) => n.kind === 'optimizer');
  const train: TrainShape | undefined =
    batch && backward
      ? {
          nodeId: batch.id,
          batchSize: num(batch, 'batch_size'),
          contextLength: num(batch, 'context_length'),
          gradAccumSteps: num(backward, 'grad_accum_steps') || 1,
          ...(optimizer ? { optimizerNodeId: optimizer.id } : {}),
          optimizerFloats: optimizer ? optimizerStateFloats(optimizer.params, model.params) : 0,
        }
      : undefined;
  const evals = plan.nodes
    .filter((n) => n.kind === 'eval')
    .map((n) => ({
      nodeId: n.id,
      batchSize: num(n, 'batch_size'),
      contextLength: num(n, 'context_length') || model.contextLength,
    }));
  const samples = plan.nodes
    .filter((n) => n.kind === 'sample')
    .map((n) => ({
      nodeId: n.id,
      window: Math.min(model.contextLength, String(n.params.prompt ?? '').length + num(n, 'max_new_tokens')),
    }));
  return { model, ...(train ? { train } : {}), evals, samples };
}
