// The built nodes of one run: their runtimes, setup outputs, and what a checkpoint holds of them.
import type * as tf from '@tensorflow/tfjs-core';
import { decodeCheckpointTensors, parseCheckpointMeta } from '../checkpoint/checkpoint';
import type { RunEvent } from '../events';
import type { Plan, PlanNode } from '../plan';
import { PORT_TYPES } from '../ports';
import { guard, NodeError } from './errors';
import type { RuntimeIO } from './io';
import type { Implementations } from './kinds';
import type { CheckpointMeta, NodeRuntime, RunSnapshot } from './types';

export class RunNodes {
  readonly byId: Map<string, PlanNode>;
  readonly runtimes = new Map<string, NodeRuntime>();
  readonly setupOutputs = new Map<string, Record<string, unknown>>();
  /** One-off numbers reported by nodes at setup (parameter count, dataset size, max token id). */
  readonly info = new Map<string, Record<string, number>>();

  private constructor(readonly plan: Plan) {
    this.byId = new Map(plan.nodes.map((n) => [n.id, n]));
  }

  /** Creates every node in plan order; each sees the setup-lifetime outputs of the nodes it reads. */
  static async setup(plan: Plan, implementations: Implementations, io: RuntimeIO, backendName: string, emit: (e: RunEvent) => void): Promise<RunNodes> {
    const nodes = new RunNodes(plan);
    for (const node of plan.nodes) {
      const implementation = implementations.get(node.kind);
      if (!implementation) throw new NodeError(node.id, `unknown node type '${node.kind}'`);
      const inputs: Record<string, unknown> = {};
      for (const [port, input] of Object.entries(node.inputs)) {
        if (PORT_TYPES[input.type].lifetime === 'setup') inputs[port] = nodes.setupOutputs.get(input.node)?.[input.port];
      }
      const runtime = await guard(node.id, () =>
        implementation.create(node.params, {
          nodeId: node.id,
          inputs,
          io,
          seed: plan.seed,
          totalSteps: plan.totalSteps,
          backendName,
          info: (values) => nodes.info.set(node.id, { ...nodes.info.get(node.id), ...values }),
          notice: (message) => emit({ type: 'node/notice', nodeId: node.id, data: { message } }),
        }),
      );
      nodes.runtimes.set(node.id, runtime);
      nodes.setupOutputs.set(node.id, runtime.outputs ?? {});
    }
    return nodes;
  }

  /** Loads every node's state from a checkpoint; returns its metadata. */
  restore(checkpoint: { name: string; weights: Uint8Array; meta: unknown }): CheckpointMeta {
    const meta = parseCheckpointMeta(checkpoint.meta, checkpoint.name);
    const tensors = decodeCheckpointTensors(checkpoint.weights, checkpoint.name);
    try {
      for (const [id, runtime] of this.runtimes) guard(id, () => runtime.loadState?.({ tensors, json: meta.nodes?.[id] }));
    } finally {
      for (const t of tensors.values()) t.dispose();
    }
    return meta;
  }

  /** Every node's state. Tensors that are not tf.Variables are copies the caller disposes. */
  snapshot(meta: Omit<CheckpointMeta, 'nodes' | 'weights'>): RunSnapshot {
    const tensors = new Map<string, tf.Tensor>();
    const nodes: Record<string, unknown> = {};
    const weights: string[] = [];
    for (const [id, runtime] of this.runtimes) {
      const state = runtime.saveState?.();
      if (!state) continue;
      for (const [name, t] of state.tensors ?? []) {
        if (tensors.has(name)) throw new Error(`two nodes save a tensor named '${name}'`);
        tensors.set(name, t);
        if (this.byId.get(id)!.kind === 'model') weights.push(name);
      }
      if (state.json !== undefined) nodes[id] = state.json;
    }
    return { tensors, meta: { ...meta, nodes, weights } };
  }

  async dispose(): Promise<void> {
    for (const runtime of this.runtimes.values()) await runtime.dispose?.();
  }
}
