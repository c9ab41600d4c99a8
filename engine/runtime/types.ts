// Interfaces between the runtime and node implementations.
import type * as tf from '@tensorflow/tfjs-core';
import type { InsidesData, RunEvent, StepData } from '../events';
import type { EditRecord } from './edits';
import type { RuntimeIO } from './io';

/** What a node carries across a checkpoint: named tensors plus plain JSON (e.g. an RNG state). */
export interface NodeState {
  tensors?: Map<string, tf.Tensor>;
  json?: unknown;
}

/** A node built for one run. */
export interface NodeRuntime {
  /** Setup-lifetime outputs, available before the loop (the model, a dataset split, ...). */
  outputs?: Record<string, unknown>;
  /** Host work before `step` (e.g. reading the next batch from disk); awaited, unlike `step` in a gradient pass. */
  prepare?(ctx: StepContext): Promise<void>;
  /**
   * Per-step work: receives this step's inputs (setup-lifetime inputs too) and returns step
   * outputs. Tensors returned are owned by the runtime, which disposes them after the step.
   */
  step?(inputs: Record<string, unknown>, ctx: StepContext): Record<string, unknown> | void | Promise<Record<string, unknown> | void>;
  /**
   * After the step's nodes ran, before its tensors are freed: the node's inside view of this step
   * (`model/insides`), when due. `grads`: the gradients the step computed for the node's
   * parameters, by name, as the optimizer receives them (before clipping); undefined when none.
   */
  insides?(grads: ReadonlyMap<string, tf.Tensor> | undefined, ctx: StepContext): Promise<InsidesData | undefined>;
  /** Called after every optimizer step with its summary (the log node writes it out). */
  afterStep?(summary: StepSummary, ctx: StepContext): void | Promise<void>;
  /**
   * A live edit of hot params (NodeDefinition.hot): `params` are the node's params as they will be.
   * Throws, changing nothing, if the node cannot take them; the runtime then updates the params
   * object the node was created with. Needed only by nodes that copied params at setup.
   */
  retune?(params: Record<string, unknown>): void;
  /** Tensors are copies the caller disposes, except tf.Variables, which stay owned by the node. Tensor names share one namespace across nodes. */
  saveState?(): NodeState;
  loadState?(state: NodeState): void;
  /** Called once at the end of the run (also after an error). */
  dispose?(): void | Promise<void>;
}

export interface SetupContext {
  nodeId: string;
  /** Setup-lifetime inputs by port name. */
  inputs: Record<string, unknown>;
  io: RuntimeIO;
  /** The run's seed (pipeline.training.seed). */
  seed: number;
  totalSteps: number;
  /** The tfjs backend in use ('wasm', 'cpu', 'webgpu', ...). */
  backendName: string;
  /** One-off numbers about the node (parameter count, dataset tokens); sent as node metrics at step 0. */
  info(values: Record<string, number>): void;
  notice(message: string): void;
}

export interface StepContext {
  nodeId: string;
  /** 0-based index of the optimizer step being run. */
  step: number;
  totalSteps: number;
  /** Records a live number for this node at this step. */
  metric(name: string, value: number): void;
  /** Counts tokens consumed this step (get_batch calls it per micro-batch); feeds tokens/s. */
  countTokens(n: number): void;
  /** Records a live number on another node (backward reports the loss on the loss node). */
  metricFor(nodeId: string, name: string, value: number): void;
  /** All metrics recorded so far in this step, by node id. */
  stepMetrics(): Map<string, Record<string, number>>;
  /** Sends a node-addressed event (eval, sample, checkpoint, notice). */
  emit(event: RunEvent): void;
  /** Full run state for a checkpoint, as of the end of this step (call it from afterStep). */
  snapshot(): RunSnapshot;
  io: RuntimeIO;
  /** Wall-clock seconds since the run (or the resumed run) started, plus time before resume. */
  elapsedSeconds(): number;
}

/** Everything needed to continue a run exactly: tensors plus JSON metadata. */
export interface RunSnapshot {
  tensors: Map<string, tf.Tensor>;
  meta: CheckpointMeta;
}

export interface CheckpointMeta {
  format: 'pretrain-studio-checkpoint';
  formatVersion: 1;
  /** Number of optimizer steps completed; a resumed run continues at this step. */
  step: number;
  elapsedSeconds: number;
  /** The pipeline JSON the run was started from. */
  pipeline: unknown;
  /** JSON state per node id (RNG states, counters). */
  nodes: Record<string, unknown>;
  /** Which tensor names are model weights (the rest is optimizer/other state). */
  weights: string[];
  savedAt: string;
  executor: string;
  /** The run's live edits up to this checkpoint (its pipeline already has their values). */
  edits?: EditRecord[];
}

/** One optimizer step, as train_log.jsonl records it. */
export interface StepSummary extends StepData {
  /** Optimizer steps completed (1 after the first update). */
  step: number;
  /** Present on steps where an eval node ran. */
  val_loss?: number;
}

/**
 * The value a differentiating input receives (backward.loss): runs the nodes upstream of it
 * afresh, once per micro-batch, so their ops can be recorded for the gradient.
 */
export interface GradientPass {
  /** Host work for the next micro-batch (reads the batch from disk). */
  prepare(): Promise<void>;
  /** Runs the pass's nodes and returns the scalar to differentiate; call inside tf.variableGrads. */
  forward(): tf.Scalar;
  /** Trainable parameters of the models inside the pass, by parameter name. */
  params: Map<string, tf.Variable>;
  /** The node whose output is differentiated (the loss node). */
  sourceNodeId: string;
}
