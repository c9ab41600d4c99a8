// Every optimizer kind, in the inspector's order. Add a kind here (its definition beside this file,
// its tfjs update in ../updates/) and the node schema, the inspector, the memory estimate and the
// PyTorch export all pick it up.
import { adagrad } from './adagrad';
import { adam } from './adam';
import { adamw } from './adamw';
import { defaultDecay, type AnyOptimizerKind, type OptimizerSettings, type ParamInfo } from './define';
import { lion } from './lion';
import { muon } from './muon';
import { sgd } from './sgd';

export const OPTIMIZER_KIND_DEFINITIONS = [adamw, adam, sgd, adagrad, lion, muon] as const;

type Definitions = typeof OPTIMIZER_KIND_DEFINITIONS;
export type OptimizerKind = Definitions[number]['kind'];

/** The kinds' names: the node's `kind` select, the engine's and the PyTorch export's switch. */
export const OPTIMIZER_KINDS = OPTIMIZER_KIND_DEFINITIONS.map((d) => d.kind) as unknown as readonly [OptimizerKind, ...OptimizerKind[]];

/**
 * The definition of a kind; throws on an unknown one (the schema lets none through, so a bug).
 * @example optimizerKind('sgd').slots({ momentum: 0 }, { name: 'wte', shape: [4, 2] }) // []
 */
export function optimizerKind(kind: string): AnyOptimizerKind {
  const found = (OPTIMIZER_KIND_DEFINITIONS as readonly AnyOptimizerKind[]).find((d) => d.kind === kind);
  if (!found) throw new Error(`optimizer: unknown kind ${kind} (one of ${OPTIMIZER_KINDS.join(', ')})`);
  return found;
}

/** The weight decay the node's settings give one param (0: not decayed). */
export function paramDecay(settings: OptimizerSettings, param: ParamInfo): number {
  const { decay } = optimizerKind(String(settings.kind));
  return decay ? decay(settings, param) : defaultDecay(settings, param);
}

/**
 * Floats of optimizer state the settings keep for a set of params (what the memory estimate counts).
 * @example optimizerStateFloats({ kind: 'adamw' }, [{ name: 'wte', shape: [10, 4] }]) // 80
 */
export function optimizerStateFloats(settings: OptimizerSettings, params: readonly ParamInfo[]): number {
  const { slots } = optimizerKind(String(settings.kind));
  return params.reduce((n, p) => n + slots(settings, p).length * p.shape.reduce((a, b) => a * b, 1), 0);
}
