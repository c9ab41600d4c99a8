// The plan (docs/plan-format.md): a compiled pipeline as plain JSON, ready for any executor.
import type { PortType } from './ports';
import type { Pipeline } from './pipeline/schema';

export const PLAN_VERSION = 1;

export interface PlanInput {
  /** Node id and output port feeding this input. */
  node: string;
  port: string;
  type: PortType;
}

export interface PlanNode {
  id: string;
  kind: string;
  /** Params with every default filled in and migrated to the kind's current version. */
  params: Record<string, unknown>;
  /** Connected inputs by port name. */
  inputs: Record<string, PlanInput>;
  /**
   * Set on nodes that run inside a differentiating node's pass (get_batch, model, loss feeding
   * backward): the runtime runs them once per micro-batch on behalf of that node, not on their own.
   */
  microOf?: string;
  /** For a differentiating node: per differentiated input port, the nodes to run, in order. */
  differentiates?: Record<string, string[]>;
}

export interface Plan {
  planVersion: typeof PLAN_VERSION;
  name: string;
  totalSteps: number;
  seed: number;
  /** Every node, in an order where each comes after all nodes it reads from. */
  nodes: PlanNode[];
  /** The migrated, defaults-filled pipeline this plan was compiled from. */
  pipeline: Pipeline;
}
