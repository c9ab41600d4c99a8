// Upgrades pipeline documents saved by older versions, one version at a time.
import { migrateFlatModelParams } from '../model-graph/default-graph';
import { PIPELINE_VERSION } from './schema';

/** `MIGRATIONS[v]` turns a version-v document into a version v+1 document. */
export type Migration = (doc: Record<string, unknown>) => Record<string, unknown>;
export const MIGRATIONS: Record<number, Migration> = {
  // 2 adds the optional `sweep`; a version-1 document has none, so only the number changes.
  1: (doc) => ({ ...doc, version: 2 }),
  // 3: a model block holds its subgraph; its flat params become the equivalent default graph.
  2: (doc) => ({ ...doc, version: 3, nodes: Array.isArray(doc.nodes) ? doc.nodes.map(modelNodeToGraph) : doc.nodes }),
};

/** A format-2 `model` node (params version 1, flat) as format 3: params version 2, a subgraph. */
function modelNodeToGraph(node: unknown): unknown {
  if (typeof node !== 'object' || node === null || (node as { type?: unknown }).type !== 'model') return node;
  const n = node as { version?: unknown; params?: unknown };
  const params = typeof n.params === 'object' && n.params !== null && !Array.isArray(n.params) ? (n.params as Record<string, unknown>) : undefined;
  // Only flat params of the first model version migrate; anything else is left for the schema to name.
  if (!params || params.graph !== undefined || (n.version !== undefined && n.version !== 1)) return node;
  return { ...n, version: 2, params: migrateFlatModelParams(params) };
}

export type MigrationResult = { ok: true; doc: Record<string, unknown>; from: number } | { ok: false; message: string };

/**
 * Brings a parsed JSON document to PIPELINE_VERSION (structure only; the schema validates after).
 * @example migratePipeline(JSON.parse(text))
 */
export function migratePipeline(raw: unknown, migrations: Record<number, Migration> = MIGRATIONS, target: number = PIPELINE_VERSION): MigrationResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, message: 'a pipeline must be a JSON object' };
  }
  const version = (raw as Record<string, unknown>).version;
  if (version === undefined) return { ok: false, message: 'version: missing; is this a pipeline file?' };
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    return { ok: false, message: `version: ${JSON.stringify(version)} is not a pipeline version` };
  }
  if (version > target) {
    return {
      ok: false,
      message: `version: ${version} was written by a newer Pretrain Studio (this one reads up to ${target})`,
    };
  }
  let doc = raw as Record<string, unknown>;
  for (let v = version; v < target; v++) {
    const step = migrations[v];
    if (!step) return { ok: false, message: `version: no migration from ${v} to ${v + 1}` };
    doc = step(doc);
  }
  return { ok: true, doc, from: version };
}
