// What a plan trains, reduced to the sizes memory depends on: the model's shapes, the training
// micro-batch, the optimizer's state per parameter, and the eval and sample nodes' buffers.
import { gptParamSpecs } from '../model/param-specs';
import { modelConfigOf } from '../nodes/model';
import type { Plan, PlanNode } from '../plan';

/** The model node's sizes (snake_case fields are the node's params, named in refusals). */
export interface ModelShape {
  nodeId: string;
  vocabSize: number; // V
  contextLength: number; // T the model accepts
  dModel: number; // C
  nLayers: number; // L
  nHeads: number; // H
  dFF: number; // F
  ffn: 'swiglu' | 'gelu';
  tied: boolean; // the output head is wte transposed
  parameters: number; // scalar parameters (tied embeddings counted once)
}

/** Sizes of one training micro-batch and what the step keeps besides it. */
export interface TrainShape {
  nodeId: string; // the get_batch node
  batchSize: number; // B
  contextLength: number; // T
  gradAccumSteps: number; // micro-batches per optimizer step (> 1 keeps a gradient sum)
  optimizerNodeId?: string;
  optimizerSlots: number; // state tensors the optimizer keeps per parameter (adamw: m and v)
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

/**
 * The state tensors each optimizer kind keeps per parameter (engine/optim/optimizers.ts slotNames).
 * @example optimizerSlots({ kind: 'sgd', momentum: 0 }) // 0
 */
export function optimizerSlots(params: Record<string, unknown>): number {
  switch (params.kind) {
    case 'adam':
    case 'adamw':
      return 2;
    case 'sgd':
      return Number(params.momentum ?? 0) !== 0 ? 1 : 0;
    case 'lion':
    case 'adagrad':
      return 1;
    default:
      return 2;
  }
}

function modelShape(node: PlanNode): ModelShape {
  const { config } = modelConfigOf(node);
  if (!config) throw new Error(`model ${node.id} in a plan does not compile`); // plans come from compile()
  const shape = {
    vocabSize: config.vocabSize, contextLength: config.contextLength, dModel: config.dModel, nLayers: config.nLayers,
    nHeads: config.nHeads, dFF: config.dFF, ffn: config.ffn === 'swiglu' ? 'swiglu' as const : 'gelu' as const, tied: config.tieEmbeddings,
  };
  const parameters = gptParamSpecs(config).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
  return { nodeId: node.id, ...shape, parameters };
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
  const train: TrainShape | undefined = batch && backward ? {
    nodeId: batch.id, batchSize: num(batch, 'batch_size'), contextLength: num(batch, 'context_length'),
    gradAccumSteps: num(backward, 'grad_accum_steps') || 1,
    ...(optimizer ? { optimizerNodeId: optimizer.id } : {}), optimizerSlots: optimizer ? optimizerSlots(optimizer.params) : 0,
  } : undefined;
  const evals = plan.nodes.filter((n) => n.kind === 'eval').map((n) => ({
    nodeId: n.id, batchSize: num(n, 'batch_size'), contextLength: num(n, 'context_length') || model.contextLength,
  }));
  const samples = plan.nodes.filter((n) => n.kind === 'sample').map((n) => ({
    nodeId: n.id, window: Math.min(model.contextLength, String(n.params.prompt ?? '').length + num(n, 'max_new_tokens')),
  }));
  return { model, ...(train ? { train } : {}), evals, samples };
}
