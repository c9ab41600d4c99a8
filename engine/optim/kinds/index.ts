// Every optimizer kind, in the select's order. A kind is a file beside this one (its definition)
// and one in ../updates/ (its tfjs update); `npm run gen` lists them in generated-list.ts, and the
// node schema, the inspector, the memory estimate and the PyTorch export pick the kind up from here.
import { defaultDecay, type AnyOptimizerKind, type OptimizerSettings, type ParamInfo } from './define';
import { DEFINITIONS_BY_FILE } from './generated-list';

type ByFile = typeof DEFINITIONS_BY_FILE;
// A definition whose kind is not its file name fails to compile here, naming the file's key.
DEFINITIONS_BY_FILE satisfies { [File in keyof ByFile]: { kind: File } };

export type OptimizerKind = keyof ByFile;

/** The definitions by their `order` (the select's, the docs' and the schema's). */
export const OPTIMIZER_KIND_DEFINITIONS: readonly ByFile[OptimizerKind][] = Object.values(DEFINITIONS_BY_FILE).sort((a, b) => a.order - b.order);

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
