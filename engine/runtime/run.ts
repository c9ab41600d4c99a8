// The tfjs runtime: sets up every node of a plan, then runs the training loop, emitting events.
// One optimizer step:
//   1. nodes run in plan order; a differentiating node (backward) runs its pass's nodes
//      (get_batch -> model -> loss) itself, once per micro-batch, inside tf.variableGrads
//   2. non-finite loss or gradient norm stops the run before the optimizer can apply it
//   3. the step is summarised; afterStep hooks run (log lines, checkpoints)
//   4. events go out and the step's tensors are disposed
import * as tf from '@tensorflow/tfjs';
import { decodeCheckpointTensors, parseCheckpointMeta } from '../checkpoint/checkpoint';
import { checkVocabulary } from '../compiler/data-check';
import type { EventSink, RunEvent } from '../events';
import { registry as builtInRegistry } from '../nodes';
import type { Registry } from '../nodes/registry';
import type { Plan, PlanNode } from '../plan';
import { PORT_TYPES } from '../ports';
import type { RuntimeIO } from './io';
import type { CheckpointMeta, GradientPass, NodeRuntime, RunSnapshot, StepContext, StepSummary } from './types';

/** Lets a host pause or stop a run between steps. */
export interface RunControl {
  readonly stopRequested: boolean;
  /** Resolves when the run may continue (immediately unless paused). */
  waitWhilePaused(): Promise<void>;
}

export interface RunOptions {
  plan: Plan;
  io: RuntimeIO;
  sink: EventSink;
  /** Name of the tfjs backend already initialised by the host (see engine/tf/backend.ts). */
  backendName: string;
  /** 'node', 'browser', ...: recorded in checkpoints. */
  executor?: string;
  /** A checkpoint to continue from: the run starts at its step with its state. */
  resume?: { name: string; weights: Uint8Array; meta: unknown };
  control?: RunControl;
  registry?: Registry;
}

export interface RunResult {
  status: 'completed' | 'stopped' | 'failed';
  /** Optimizer steps completed. */
  step: number;
  error?: { message: string; nodeId?: string };
  lastCheckpoint?: string;
}

/** An error raised by (or on behalf of) a node; the runtime reports it on that node. */
export class NodeError extends Error {
  constructor(readonly nodeId: string, message: string, readonly field?: string) {
    super(message);
  }
}

function guard<T>(nodeId: string, work: () => T): T {
  try {
    const result = work();
    if (result instanceof Promise) return result.catch((e) => { throw asNodeError(nodeId, e); }) as T;
    return result;
  } catch (e) {
    throw asNodeError(nodeId, e);
  }
}

function asNodeError(nodeId: string, e: unknown): NodeError {
  if (e instanceof NodeError) return e;
  return new NodeError(nodeId, e instanceof Error ? e.message : String(e));
}

function disposeValues(values: Iterable<Record<string, unknown>>): void {
  for (const outputs of values) {
    for (const value of Object.values(outputs)) {
      if (value instanceof tf.Tensor) value.dispose();
      else if (value instanceof Map) for (const t of value.values()) if (t instanceof tf.Tensor) t.dispose();
    }
  }
}

/**
 * Runs a compiled plan to the end (or until stopped), emitting events to `sink`.
 * @example
 *   const result = await runPlan({ plan, io: nodeIO('out'), sink, backendName: await useBackend('wasm') });
 */
export async function runPlan(options: RunOptions): Promise<RunResult> {
  const { plan, io, sink, control } = options;
  const registry = options.registry ?? builtInRegistry;
  const byId = new Map(plan.nodes.map((n) => [n.id, n]));
  const runtimes = new Map<string, NodeRuntime>();
  const setupOutputs = new Map<string, Record<string, unknown>>();
  let stepsDone = 0;
  let elapsedBefore = 0;
  let lastCheckpoint: string | undefined;
  const emit = (event: RunEvent) => {
    if (event.type === 'checkpoint/saved') lastCheckpoint = event.data.name;
    sink.emit(event);
  };
  const started = performance.now();
  const elapsedSeconds = () => elapsedBefore + (performance.now() - started) / 1000;

  const finish = (status: RunResult['status'], error?: RunResult['error']): RunResult => {
    emit({ type: 'run/finished', step: stepsDone, data: { status, elapsed_s: elapsedSeconds(), ...(lastCheckpoint ? { lastCheckpoint } : {}) } });
    return { status, step: stepsDone, ...(error ? { error } : {}), ...(lastCheckpoint ? { lastCheckpoint } : {}) };
  };

  const fail = (e: unknown) => {
    const nodeId = e instanceof NodeError ? e.nodeId : undefined;
    const message = e instanceof Error ? e.message : String(e);
    emit({ type: 'error', ...(nodeId ? { nodeId } : {}), step: stepsDone, data: { message, ...(e instanceof NodeError && e.field ? { field: e.field } : {}) } });
    return finish('failed', { message, ...(nodeId ? { nodeId } : {}) });
  };

  try {
    // Setup, in plan order: each node sees the setup-lifetime outputs of the nodes it reads.
    const setupInfo = new Map<string, Record<string, number>>();
    for (const node of plan.nodes) {
      const def = registry.get(node.kind);
      if (!def) throw new NodeError(node.id, `unknown node type '${node.kind}'`);
      const inputs: Record<string, unknown> = {};
      for (const [port, input] of Object.entries(node.inputs)) {
        if (PORT_TYPES[input.type].lifetime === 'setup') inputs[port] = setupOutputs.get(input.node)?.[input.port];
      }
      const runtime = await guard(node.id, () => def.create(node.params, {
        nodeId: node.id, inputs, io, seed: plan.seed, totalSteps: plan.totalSteps, backendName: options.backendName,
        info: (values) => setupInfo.set(node.id, { ...setupInfo.get(node.id), ...values }),
        notice: (message) => emit({ type: 'node/notice', nodeId: node.id, data: { message } }),
      }));
      runtimes.set(node.id, runtime);
      setupOutputs.set(node.id, runtime.outputs ?? {});
    }

    const maxIds = new Map([...setupInfo].filter(([, info]) => info.max_id !== undefined).map(([id, info]) => [id, info.max_id]));
    for (const d of checkVocabulary(plan, maxIds)) throw new NodeError(d.nodeId!, d.message, d.field);

    if (options.resume) {
      const meta = parseCheckpointMeta(options.resume.meta, options.resume.name);
      const tensors = decodeCheckpointTensors(options.resume.weights, options.resume.name);
      try {
        for (const [id, runtime] of runtimes) guard(id, () => runtime.loadState?.({ tensors, json: meta.nodes?.[id] }));
      } finally {
        for (const t of tensors.values()) t.dispose();
      }
      stepsDone = meta.step;
      elapsedBefore = meta.elapsedSeconds ?? 0;
      lastCheckpoint = options.resume.name;
    }

    const snapshot = (): RunSnapshot => {
      const tensors = new Map<string, tf.Tensor>();
      const nodes: Record<string, unknown> = {};
      let weights: string[] = [];
      for (const [id, runtime] of runtimes) {
        const state = runtime.saveState?.();
        if (!state) continue;
        for (const [name, t] of state.tensors ?? []) {
          if (tensors.has(name)) throw new Error(`two nodes save a tensor named '${name}'`);
          tensors.set(name, t);
        }
        if (state.json !== undefined) nodes[id] = state.json;
        if (byId.get(id)!.kind === 'model') weights = weights.concat([...(state.tensors?.keys() ?? [])]);
      }
      const meta: CheckpointMeta = {
        format: 'pretrain-studio-checkpoint', formatVersion: 1, step: stepsDone, elapsedSeconds: elapsedSeconds(),
        pipeline: plan.pipeline, nodes, weights, savedAt: new Date().toISOString(), executor: options.executor ?? 'node',
      };
      return { tensors, meta };
    };

    const parameterCount = [...setupInfo.values()].reduce((sum, info) => sum + (info.parameters ?? 0), 0);
    emit({
      type: 'run/started', step: stepsDone,
      data: { totalSteps: plan.totalSteps, backend: options.backendName, parameters: parameterCount, tokensPerStep: tokensPerStep(plan),
        ...(options.resume ? { resumedFrom: options.resume.name } : {}) },
    });
    for (const [nodeId, info] of setupInfo) emit({ type: 'node/metrics', nodeId, step: stepsDone, data: info });

    // The loop.
    while (stepsDone < plan.totalSteps) {
      if (control?.stopRequested) return finish('stopped');
      await control?.waitWhilePaused();
      if (control?.stopRequested) return finish('stopped');

      const index = stepsDone;
      const stepStart = performance.now();
      const metrics = new Map<string, Record<string, number>>();
      const values = new Map<string, Record<string, unknown>>();
      let tokens = 0;
      // Wall time per node this step (ms), summed over micro-batches; shown as the node's `ms`.
      const nodeMs = new Map<string, number>();
      const addTime = (nodeId: string, start: number) => nodeMs.set(nodeId, (nodeMs.get(nodeId) ?? 0) + performance.now() - start);
      const contextFor = (nodeId: string): StepContext => ({
        nodeId, step: index, totalSteps: plan.totalSteps, io,
        metric: (name, value) => void metrics.set(nodeId, { ...metrics.get(nodeId), [name]: value }),
        metricFor: (other, name, value) => void metrics.set(other, { ...metrics.get(other), [name]: value }),
        countTokens: (n) => void (tokens += n),
        stepMetrics: () => metrics,
        emit,
        snapshot,
        elapsedSeconds,
      });
      const inputsOf = (node: PlanNode, stepValues: Map<string, Record<string, unknown>>) => {
        const inputs: Record<string, unknown> = {};
        for (const [port, input] of Object.entries(node.inputs)) {
          const lifetime = PORT_TYPES[input.type].lifetime;
          inputs[port] = lifetime === 'setup' ? setupOutputs.get(input.node)?.[input.port] : stepValues.get(input.node)?.[input.port];
        }
        for (const [port, members] of Object.entries(node.differentiates ?? {})) {
          inputs[port] = gradientPass(node.inputs[port].node, node.inputs[port].port, members);
        }
        return inputs;
      };
      const gradientPass = (sourceNodeId: string, sourcePort: string, members: string[]): GradientPass => {
        const params = new Map<string, tf.Variable>();
        for (const id of members) {
          for (const value of Object.values(setupOutputs.get(id) ?? {})) {
            const modelParams = (value as { params?: unknown })?.params;
            if (modelParams instanceof Map) for (const [name, v] of modelParams) params.set(name, v);
          }
        }
        return {
          params,
          sourceNodeId,
          async prepare() {
            for (const id of members) {
              const start = performance.now();
              await guard(id, () => runtimes.get(id)!.prepare?.(contextFor(id)));
              addTime(id, start);
            }
          },
          forward() {
            const local = new Map<string, Record<string, unknown>>();
            for (const id of members) {
              const start = performance.now();
              const out = guard(id, () => runtimes.get(id)!.step?.(inputsOf(byId.get(id)!, local), contextFor(id)));
              addTime(id, start);
              if (out instanceof Promise) throw new NodeError(id, 'a node inside a gradient pass must compute synchronously');
              if (out) local.set(id, out);
            }
            return local.get(sourceNodeId)![sourcePort] as tf.Scalar;
          },
        };
      };

      try {
        for (const node of plan.nodes) {
          if (node.microOf) continue;
          const runtime = runtimes.get(node.id)!;
          if (!runtime.step && !runtime.prepare) continue;
          const ctx = contextFor(node.id);
          const inputs = inputsOf(node, values);
          const start = performance.now();
          await guard(node.id, () => runtime.prepare?.(ctx));
          const out = await guard(node.id, () => runtime.step?.(inputs, ctx));
          addTime(node.id, start);
          if (out) values.set(node.id, out);
          stopOnNonFinite(metrics);
        }
      } finally {
        disposeValues(values.values());
      }

      stepsDone = index + 1;
      const stepMs = performance.now() - stepStart;
      const summary = summarise(stepsDone, metrics, tokens, stepMs, elapsedSeconds());
      for (const node of plan.nodes) {
        const runtime = runtimes.get(node.id)!;
        if (runtime.afterStep) await guard(node.id, () => runtime.afterStep!(summary, contextFor(node.id)));
      }
      for (const [nodeId, ms] of nodeMs) metrics.set(nodeId, { ...metrics.get(nodeId), ms });
      for (const [nodeId, data] of metrics) emit({ type: 'node/metrics', nodeId, step: stepsDone, data });
      emit({ type: 'step', step: stepsDone, data: summary });
    }
    return finish('completed');
  } catch (e) {
    return fail(e);
  } finally {
    for (const runtime of runtimes.values()) await runtime.dispose?.();
  }
}

/** Stops the run on a non-finite loss or gradient norm, blaming the node the number belongs to. */
function stopOnNonFinite(metrics: Map<string, Record<string, number>>) {
  for (const [nodeId, values] of metrics) {
    for (const name of ['loss', 'grad_norm'] as const) {
      const value = values[name];
      if (value !== undefined && !Number.isFinite(value)) {
        const what = name === 'loss' ? 'loss' : 'gradient norm';
        throw new NodeError(nodeId, `${what} is ${value}; stopping before the update is applied (try a lower learning rate or clipping)`);
      }
    }
  }
}

function summarise(step: number, metrics: Map<string, Record<string, number>>, tokens: number, stepMs: number, elapsed: number): StepSummary {
  const find = (name: string) => {
    for (const values of metrics.values()) if (values[name] !== undefined) return values[name];
    return undefined;
  };
  const summary: StepSummary = {
    step, loss: find('loss') ?? NaN, tokens_per_sec: stepMs > 0 ? (tokens * 1000) / stepMs : 0, step_ms: stepMs, elapsed_s: elapsed,
  };
  const lr = find('lr');
  const gradNorm = find('grad_norm');
  const valLoss = find('val_loss');
  if (lr !== undefined) summary.lr = lr;
  if (gradNorm !== undefined) summary.grad_norm = gradNorm;
  if (valLoss !== undefined) summary.val_loss = valLoss;
  return summary;
}

/** Tokens consumed per optimizer step: batch x context x accumulation of each get_batch in a pass. */
export function tokensPerStep(plan: Plan): number {
  let total = 0;
  for (const owner of plan.nodes) {
    const accum = Number(owner.params.grad_accum_steps ?? 1);
    for (const members of Object.values(owner.differentiates ?? {})) {
      for (const id of members) {
        const node = plan.nodes.find((n) => n.id === id)!;
        if (node.kind === 'get_batch') total += Number(node.params.batch_size) * Number(node.params.context_length) * accum;
      }
    }
  }
  return total;
}
