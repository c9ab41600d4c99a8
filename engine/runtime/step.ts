// One optimizer step of a run:
//   1. nodes run in plan order; a differentiating node (backward) runs its gradient pass's nodes
//      (get_batch -> model -> loss) itself, once per micro-batch, inside tf.variableGrads
//   2. a non-finite loss or gradient norm stops the run before the optimizer can apply it
//   3. the step is summarised and afterStep hooks run (log lines, checkpoints)
//   4. the step's tensors are disposed; metrics are returned for the events
import * as tf from '@tensorflow/tfjs-core';
import type { RunEvent } from '../events';
import type { PlanNode } from '../plan';
import { PORT_TYPES } from '../ports';
import { guard, NodeError } from './errors';
import type { RuntimeIO } from './io';
import type { RunNodes } from './nodes';
import type { GradientPass, RunSnapshot, StepContext, StepSummary } from './types';

export interface StepEnvironment {
  io: RuntimeIO;
  emit(event: RunEvent): void;
  /** Every node's state, recorded as `step` steps completed. */
  snapshot(step: number): RunSnapshot;
  elapsedSeconds(): number;
}

export interface StepResult {
  summary: StepSummary;
  /** Numbers per node id, `ms` included. */
  metrics: Map<string, Record<string, number>>;
  /** The step's `model/insides` events (emitted after its eval/sample/checkpoint events, before its metrics). */
  insides: RunEvent[];
}

type Values = Map<string, Record<string, unknown>>;

/** Runs step `index` (0-based); afterwards `index + 1` steps are complete. */
export async function runStep(nodes: RunNodes, index: number, env: StepEnvironment): Promise<StepResult> {
  const { plan, runtimes, setupOutputs } = nodes;
  const started = performance.now();
  const metrics = new Map<string, Record<string, number>>();
  const record = (nodeId: string, name: string, value: number) => void metrics.set(nodeId, { ...metrics.get(nodeId), [name]: value });
  let tokens = 0;
  // Wall time per node (ms), summed over micro-batches.
  const nodeMs = new Map<string, number>();
  // Synchronous work only (inside a gradient pass); async work is timed where it is awaited.
  const timed = <T>(nodeId: string, work: () => T): T => {
    const start = performance.now();
    try {
      return guard(nodeId, work);
    } finally {
      nodeMs.set(nodeId, (nodeMs.get(nodeId) ?? 0) + performance.now() - start);
    }
  };

  const contextFor = (nodeId: string): StepContext => ({
    nodeId,
    step: index,
    totalSteps: plan.totalSteps,
    io: env.io,
    metric: (name, value) => record(nodeId, name, value),
    metricFor: record,
    countTokens: (n) => void (tokens += n),
    stepMetrics: () => metrics,
    emit: env.emit,
    snapshot: () => env.snapshot(index + 1),
    elapsedSeconds: env.elapsedSeconds,
  });

  const inputsOf = (node: PlanNode, values: Values): Record<string, unknown> => {
    const inputs: Record<string, unknown> = {};
    for (const [port, input] of Object.entries(node.inputs)) {
      const source = PORT_TYPES[input.type].lifetime === 'setup' ? setupOutputs : values;
      inputs[port] = source.get(input.node)?.[input.port];
    }
    for (const [port, members] of Object.entries(node.differentiates ?? {})) {
      inputs[port] = gradientPass(node.inputs[port].node, node.inputs[port].port, members);
    }
    return inputs;
  };

  const gradientPass = (sourceNodeId: string, sourcePort: string, members: string[]): GradientPass => {
    // The parameters to differentiate: those of every model inside the pass.
    const params = new Map<string, tf.Variable>();
    for (const id of members) {
      for (const value of Object.values(setupOutputs.get(id) ?? {})) {
        const modelParams = (value as { params?: unknown } | undefined)?.params;
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
          nodeMs.set(id, (nodeMs.get(id) ?? 0) + performance.now() - start);
        }
      },
      forward() {
        const local: Values = new Map();
        for (const id of members) {
          const out = timed(id, () => runtimes.get(id)!.step?.(inputsOf(nodes.byId.get(id)!, local), contextFor(id)));
          if (out instanceof Promise) throw new NodeError(id, 'a node inside a gradient pass must compute synchronously');
          if (out) local.set(id, out);
        }
        return local.get(sourceNodeId)![sourcePort] as tf.Scalar;
      },
    };
  };

  const values: Values = new Map();
  let insides: RunEvent[] = [];
  try {
    for (const node of plan.nodes) {
      const runtime = runtimes.get(node.id)!;
      if (node.microOf || (!runtime.step && !runtime.prepare)) continue;
      const ctx = contextFor(node.id);
      const inputs = inputsOf(node, values);
      const start = performance.now();
      const out = await guard(node.id, async () => {
        await runtime.prepare?.(ctx);
        return runtime.step?.(inputs, ctx);
      });
      nodeMs.set(node.id, (nodeMs.get(node.id) ?? 0) + performance.now() - start);
      if (out) values.set(node.id, out);
      stopOnNonFinite(metrics);
    }
    insides = await insideViews(nodes, values, contextFor);
  } finally {
    disposeValues(values.values());
  }

  const summary = summarise(index + 1, metrics, tokens, performance.now() - started, env.elapsedSeconds());
  // Checkpoints last: once a checkpoint says a step is done, its log lines are already written,
  // so a crash right after the save cannot lose them (a resume starts after that step).
  const afterOrder = [...plan.nodes.filter((n) => n.kind !== 'checkpoint'), ...plan.nodes.filter((n) => n.kind === 'checkpoint')];
  for (const node of afterOrder) {
    const runtime = runtimes.get(node.id)!;
    if (runtime.afterStep) await guard(node.id, () => runtime.afterStep!(summary, contextFor(node.id)));
  }
  for (const [nodeId, ms] of nodeMs) record(nodeId, 'ms', ms);
  return { summary, metrics, insides };
}

/** The `model/insides` events of the nodes whose inside view is due at this step. */
async function insideViews(nodes: RunNodes, values: Values, contextFor: (nodeId: string) => StepContext): Promise<RunEvent[]> {
  const events: RunEvent[] = [];
  for (const [nodeId, runtime] of nodes.runtimes) {
    if (!runtime.insides) continue;
    const ctx = contextFor(nodeId);
    const data = await guard(nodeId, () => runtime.insides!(gradientsFor(nodes.plan, nodeId, values), ctx));
    if (data) events.push({ type: 'model/insides', nodeId, step: ctx.step + 1, data });
  }
  return events;
}

/**
 * The gradients computed this step for the parameters of node `nodeId`: the Grads output of the
 * node whose gradient pass runs it (backward), before anything downstream (clip) changed them.
 */
function gradientsFor(plan: RunNodes['plan'], nodeId: string, values: Values): ReadonlyMap<string, tf.Tensor> | undefined {
  const owner = plan.nodes.find((n) => Object.values(n.differentiates ?? {}).some((members) => members.includes(nodeId)));
  if (!owner) return undefined;
  const read = plan.nodes.flatMap((n) => Object.values(n.inputs)).find((input) => input.node === owner.id && input.type === 'Grads');
  const grads = read && values.get(owner.id)?.[read.port];
  return grads instanceof Map ? (grads as ReadonlyMap<string, tf.Tensor>) : undefined;
}

function disposeValues(values: Iterable<Record<string, unknown>>): void {
  for (const outputs of values) {
    for (const value of Object.values(outputs)) {
      if (value instanceof tf.Tensor) value.dispose();
      else if (value instanceof Map) for (const t of value.values()) if (t instanceof tf.Tensor) t.dispose();
    }
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
    step,
    loss: find('loss') ?? NaN,
    tokens_per_sec: stepMs > 0 ? (tokens * 1000) / stepMs : 0,
    step_ms: stepMs,
    elapsed_s: elapsed,
  };
  const lr = find('lr');
  const gradNorm = find('grad_norm');
  const valLoss = find('val_loss');
  if (lr !== undefined) summary.lr = lr;
  if (gradNorm !== undefined) summary.grad_norm = gradNorm;
  if (valLoss !== undefined) summary.val_loss = valLoss;
  return summary;
}
