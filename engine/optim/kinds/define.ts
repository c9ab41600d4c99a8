// defineOptimizerKind: the one place an optimizer kind declares its settings, where they apply, which
// of them a live edit may change, the state it keeps per parameter and its PyTorch source. The
// optimizer node's schema, the inspector, the memory estimate and the torch exporter read these
// definitions (engine/optim/kinds/index.ts gathers them); the tfjs update lives in
// engine/optim/updates/<kind>.ts, so the canvas imports no tfjs.
import type { z } from 'zod';
import type { CheckContext, ParamIssue } from '../../nodes/define';

/** Settings several kinds read, declared once (engine/nodes/optimizer.ts); a kind lists those it uses. */
export type SharedSetting = 'beta1' | 'beta2' | 'eps';

/** A parameter as a kind sees it when it decides its state and group: name and shape (engine layout). */
export interface ParamInfo {
  name: string;
  shape: readonly number[];
}

/** The optimizer node's params (snake_case, defaults filled in), as a kind reads them. */
export type OptimizerSettings = Readonly<Record<string, unknown>>;

/** The Python side of a kind (engine/export/torch/python/optim.py.ts joins them). */
export interface PythonKind {
  /** The class optim.py's Optimizer delegates to (a subclass of optim.py's Kind). */
  className: string;
  /** Python source of the class (and anything it alone needs), at column 0; no backticks or ${. */
  source: string;
}

export interface OptimizerKindDefinition<K extends string = string, S extends z.ZodRawShape = z.ZodRawShape> {
  /** The value of the node's `kind` param; equals the file's name (engine/optim/kinds/<kind>.ts). */
  kind: K;
  /** Its place in the kind select, the docs and the schema, ascending (distinct; steps of 10 leave room). */
  order: number;
  /** One sentence for the docs: what it is and where its maths comes from. */
  description: string;
  /** Shared settings it reads (each shows in the inspector only for the kinds that list it). */
  uses: readonly SharedSetting[];
  /** How `weight_decay` acts: decoupled (p *= 1 - lr*wd) or L2 (grad += wd*p). */
  weightDecay: 'decoupled' | 'l2';
  /** Its own settings; they show in the inspector only while this kind is picked. */
  settings: S;
  /** Its own settings a live edit may change between two steps. */
  hot: readonly (keyof S & string)[];
  /** The state tensors it keeps for one param, by slot name (checkpoints: optim.<slot>.<param>). */
  slots: (settings: OptimizerSettings, param: ParamInfo) => readonly string[];
  /** The weight decay one param gets (default: `defaultDecay`). */
  decay?: (settings: OptimizerSettings, param: ParamInfo) => number;
  /** Checks of its settings across fields (and against the nodes wired to it), each naming the field. */
  check?: (settings: OptimizerSettings, ctx: CheckContext) => ParamIssue[];
  python: PythonKind;
}

/**
 * Declares an optimizer kind; the settings' types are kept for the node schema.
 * @example export const lion = defineOptimizerKind({ kind: 'lion', uses: ['beta1', 'beta2'], settings: {}, ... });
 */
export function defineOptimizerKind<K extends string, S extends z.ZodRawShape>(definition: OptimizerKindDefinition<K, S>): OptimizerKindDefinition<K, S> {
  return definition;
}

/**
 * nanoGPT's rule: weight_decay on matrices, on rank-1 params (norm weights, biases) only with
 * decay_norms_and_biases.
 * @example defaultDecay({ weight_decay: 0.1, decay_norms_and_biases: false }, { name: 'b', shape: [4] }) // 0
 */
export function defaultDecay(settings: OptimizerSettings, param: ParamInfo, field = 'weight_decay'): number {
  return settings.decay_norms_and_biases === true || param.shape.length >= 2 ? Number(settings[field]) : 0;
}

/** The untyped view the node schema, the estimate and the exporter read. */
export type AnyOptimizerKind = OptimizerKindDefinition<string, z.ZodRawShape>;
