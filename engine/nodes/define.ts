// defineNode: the single place a node kind declares its ports, params, help and checks; the
// registry, palette, inspector and compiler read these definitions, which import no tfjs.
// implementNode: how a kind runs (engine/runtime/kinds/), loaded only where training happens.
import type { z } from 'zod';
import type { DiagnosticCode } from '../compiler/diagnostics';
import type { PortType } from '../ports';
import type { NodeRuntime, SetupContext } from '../runtime/types';

export type Category = 'data' | 'model' | 'objective' | 'optimization' | 'outputs';

export const CATEGORIES: { id: Category; title: string }[] = [
  { id: 'data', title: 'Data' },
  { id: 'model', title: 'Model' },
  { id: 'objective', title: 'Objective' },
  { id: 'optimization', title: 'Optimization' },
  { id: 'outputs', title: 'Outputs' },
];

export interface PortSpec<T extends PortType = PortType> {
  type: T;
  label: string;
  /** An optional input may stay unconnected. */
  optional?: boolean;
  /**
   * The input is differentiated: instead of a value the node receives a function that runs the
   * upstream step nodes afresh (a new micro-batch each call) and returns the value (see backward).
   */
  differentiate?: boolean;
  description?: string;
}

/**
 * Declares a port.
 * @example port('Tokens', 'x', { description: 'input ids' })
 */
export function port<T extends PortType>(type: T, label?: string, options: Omit<PortSpec<T>, 'type' | 'label'> = {}): PortSpec<T> {
  return { type, label: label ?? type, ...options };
}

export type Ports = Record<string, PortSpec>;

/** Where a param matters: the values of another (enum) param of the same node, by its key. */
export type AppliesTo = Record<string, readonly string[]>;

/**
 * Marks a param as used only when the enum param `key` (the node's `kind` unless named) is one of
 * `values`. Stored as schema metadata, so the inspector reads it from z.toJSONSchema as `appliesTo`.
 * @example momentum: appliesTo(z.number().default(0.9).describe('momentum'), ['sgd'])
 */
export function appliesTo<T extends z.ZodType>(schema: T, values: readonly string[], key = 'kind'): T {
  return schema.meta({ description: schema.description, appliesTo: { [key]: values } satisfies AppliesTo }) as T;
}

/** A problem with a node's params that the schema alone cannot see (cross-field or cross-node). */
export interface ParamIssue {
  field: string;
  message: string;
  /** Default 'bad-shape'. */
  code?: DiagnosticCode;
  /** For a composite node (model): the inner node the problem is on. */
  innerNodeId?: string;
}

/** What `check` can see of the rest of the graph: params of the nodes wired to this one. */
export interface CheckContext {
  /** Resolved params of the node feeding input `port`, if any (one hop). */
  upstream(port: string): { kind: string; params: Record<string, unknown> } | undefined;
  /** Resolved params of every node of `kind` in the graph. */
  nodesOfKind(kind: string): { id: string; params: Record<string, unknown> }[];
}

export interface CompositeFields {
  has(params: Record<string, unknown>, field: string): boolean;
  set(params: Record<string, unknown>, field: string, value: unknown): Record<string, unknown>;
  /** Every field by path with defaults filled in, for comparing two versions. */
  values(params: Record<string, unknown>): Record<string, unknown>;
}

export interface NodeDefinition<P extends z.ZodObject = z.ZodObject, I extends Ports = Ports, O extends Ports = Ports> {
  /** snake_case id, as users see it; equals the file name. */
  kind: string;
  title: string;
  category: Category;
  /** One sentence for the palette tooltip and the docs. */
  description: string;
  /** Bumped whenever the params change shape; `migrate` upgrades params saved at older versions. */
  version: number;
  migrate?: (params: Record<string, unknown>, fromVersion: number) => Record<string, unknown>;
  inputs: I;
  outputs: O;
  params: P;
  /**
   * Params that may change while a run trains (engine/runtime/edits.ts applies them between steps);
   * every other param is fixed for the run's life.
   */
  hot?: (keyof z.infer<P> & string)[];
  /** Params shown on the canvas block at a glance. */
  summary: (keyof z.infer<P> & string)[];
  /** Values derived from the params, shown after the summary (a composite block's insides at a glance). */
  facts?: (params: Record<string, unknown>) => Record<string, unknown>;
  /**
   * For a node holding a subgraph (model): fields beyond its own params, addressed by path
   * (`attn.n_kv_heads`); sweeps, live edits and the diff read and write through these.
   */
  composite?: CompositeFields;
  /** Checks beyond the schema; each issue is reported against this node and field. */
  check?: (params: z.infer<P>, ctx: CheckContext) => ParamIssue[];
}

/**
 * Declares a node kind. The type of `check`'s params is inferred from the zod params.
 * @example
 *   export const clip = defineNode({ kind: 'clip', ..., params: z.object({ max_norm: z.number() }) });
 */
export function defineNode<P extends z.ZodObject, I extends Ports, O extends Ports>(definition: NodeDefinition<P, I, O>): NodeDefinition<P, I, O> {
  return definition;
}

/** The untyped view used by the registry and compiler. */
export type AnyNodeDefinition = NodeDefinition<z.ZodObject, Ports, Ports>;

/** How a node kind runs: builds the node for a run from its parsed params. */
export interface NodeImplementation<P extends z.ZodObject = z.ZodObject> {
  kind: string;
  /** Builds the node for a run. Setup-lifetime inputs (model, dataset split, ...) are ready in ctx. */
  create: (params: z.infer<P>, ctx: SetupContext) => NodeRuntime | Promise<NodeRuntime>;
}

/**
 * Implements a declared kind; `create`'s params are typed from the definition's schema.
 * @example
 *   export const clipImplementation = implementNode(clip, { create: (p) => ({ step: ... }) });
 */
export function implementNode<P extends z.ZodObject, I extends Ports, O extends Ports>(
  definition: NodeDefinition<P, I, O>,
  implementation: Omit<NodeImplementation<P>, 'kind'>,
): NodeImplementation<P> {
  return { kind: definition.kind, ...implementation };
}

/** The untyped view used by the runtime. */
export type AnyNodeImplementation = NodeImplementation<z.ZodObject>;
