// Registry: node kinds by id, built from the one list in ./index.ts.
import type { AnyNodeDefinition } from './define';

export type Registry = ReadonlyMap<string, AnyNodeDefinition>;

/**
 * Builds a registry; a duplicate kind is a bug and throws.
 * @example createRegistry([dataset, get_batch]).get('get_batch')
 */
export function createRegistry(kinds: readonly AnyNodeDefinition[]): Registry {
  const map = new Map<string, AnyNodeDefinition>();
  for (const def of kinds) {
    if (map.has(def.kind)) throw new Error(`duplicate node kind '${def.kind}'`);
    map.set(def.kind, def);
  }
  return map;
}
