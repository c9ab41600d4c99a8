// The "inside view" of a model while it trains (event `model/insides`, docs/events.md): when it is
// due, and which inner node each parameter belongs to. Parameter names derive from the inner
// node ids (graph.ts), so the grouping is read from the name: `blocks.{i}.<id>.…` is inner node
// <id> at layer i, any other `<id>` or `<id>.…` is the model-level node <id>. Every executor
// groups gradients this way, so their numbers agree.
import { ROLE_IDS } from './graph';

/** Steps between two inside views when a model node does not say (its `inspect_every`). */
export const DEFAULT_INSPECT_EVERY = 20;

/** Inner nodes inside the repeated block that get numbers, one entry per layer, in block order. */
export const LAYER_INSIDE_IDS = [ROLE_IDS.norm1, ROLE_IDS.attention, ROLE_IDS.residual1, ROLE_IDS.norm2, ROLE_IDS.ffn, ROLE_IDS.residual2] as const;

/** Model-level inner nodes that get numbers (one entry each), in model order. */
export const MODEL_INSIDE_IDS = [ROLE_IDS.embedding, ROLE_IDS.positions, ROLE_IDS.finalNorm, ROLE_IDS.head] as const;

/**
 * Whether step `k` (optimizer steps completed, as in the `step` event) shows the insides:
 * at step 1 and every `every` steps; never when `every` is 0.
 * @example insidesDue(40, 20) // true
 */
export function insidesDue(k: number, every: number): boolean {
  if (!(every > 0)) return false;
  return k === 1 || k % every === 0;
}

/** Where a parameter lives inside the model: an inner node id, and its layer inside the repeat. */
export interface InsideOwner {
  innerId: string;
  /** Index in the repeat (blocks.{layer}.…); absent for model-level nodes. */
  layer?: number;
}

const BLOCK_PARAM = new RegExp(`^${ROLE_IDS.repeat}\\.(\\d+)\\.([^.]+)`);

/**
 * The inner node that owns a parameter, read from its name.
 * @example insideOwner('blocks.3.attn.q_norm.weight') // { innerId: 'attn', layer: 3 }
 * @example insideOwner('norm_f.weight') // { innerId: 'norm_f' }
 */
export function insideOwner(paramName: string): InsideOwner {
  const inBlock = BLOCK_PARAM.exec(paramName);
  if (inBlock) return { innerId: inBlock[2], layer: Number(inBlock[1]) };
  return { innerId: paramName.split('.')[0] };
}

/**
 * Parameter names grouped by their inner node: for each inner id, one list of names per layer
 * (nLayers lists for nodes inside the repeat, one list for model-level nodes).
 * @example paramGroups(['wte', 'blocks.0.attn.wq', 'blocks.1.attn.wq'], 2).get('attn') // [['blocks.0.attn.wq'], ['blocks.1.attn.wq']]
 */
export function paramGroups(paramNames: Iterable<string>, nLayers: number): Map<string, string[][]> {
  const groups = new Map<string, string[][]>();
  for (const name of paramNames) {
    const { innerId, layer } = insideOwner(name);
    let lists = groups.get(innerId);
    if (!lists) groups.set(innerId, (lists = Array.from({ length: layer === undefined ? 1 : nLayers }, () => [])));
    lists[layer ?? 0].push(name);
  }
  return groups;
}
