// The pipeline each run trained, fetched once per run (GET /api/runs/:id/pipeline; a run's pipeline
// never changes) or remembered when this tab started the run. The studio shows a run's live numbers
// only on blocks that are as the run trained them, and the runs page reads hyperparameters from it.
import { useSyncExternalStore } from 'react';
import { registry } from '../engine/nodes';
import { loadDocumentValue, type Pipeline, type PipelineNode } from './document';

export type RunPipeline = { doc: Pipeline } | { error: string };

const known = new Map<string, RunPipeline>();
const pending = new Set<string>();
const listeners = new Set<() => void>();
let version = 0;
const changed = () => {
  version++;
  listeners.forEach((l) => l());
};

/** Records the pipeline a run was started with (no request needed later). */
export function rememberRunPipeline(runId: string, doc: Pipeline): void {
  known.set(runId, { doc });
  changed();
}

async function fetchRunPipeline(runId: string): Promise<RunPipeline> {
  try {
    const reply = await fetch(`/api/runs/${encodeURIComponent(runId)}/pipeline`, { cache: 'no-store' });
    if (!reply.ok) return { error: reply.status === 404 ? 'this run is not on the server' : `the server answered ${reply.status}` };
    const result = loadDocumentValue(await reply.json());
    return result.ok ? { doc: result.doc } : { error: `its pipeline does not load: ${result.message}` };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** The run's pipeline, fetching it on first use (undefined until it arrives). */
export function runPipeline(runId: string): RunPipeline | undefined {
  const hit = known.get(runId);
  if (hit || pending.has(runId) || typeof fetch === 'undefined') return hit;
  pending.add(runId);
  void fetchRunPipeline(runId).then((result) => {
    pending.delete(runId);
    known.set(runId, result);
    changed();
  });
  return undefined;
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * The pipeline `runId` trained, for a component (re-renders when it arrives).
 * @example const trained = useRunPipeline(runId); if (trained && 'doc' in trained) ...
 */
export function useRunPipeline(runId: string | null | undefined): RunPipeline | undefined {
  return useSyncExternalStore(
    subscribe,
    () => (runId ? runPipeline(runId) : undefined),
    () => undefined,
  );
}

/** JSON with object keys in sorted order at every level, so equal values give equal text. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The pipelines of several runs (by id; missing until fetched), for a component: it re-renders as
 * they arrive.
 * @example const pipelines = useRunPipelines(ticked);
 */
export function useRunPipelines(runIds: readonly string[]): Record<string, Pipeline | undefined> {
  useSyncExternalStore(
    subscribe,
    () => version,
    () => 0,
  );
  const found: Record<string, Pipeline | undefined> = {};
  for (const id of runIds) {
    const entry = runPipeline(id);
    found[id] = entry && 'doc' in entry ? entry.doc : undefined;
  }
  return found;
}

/** A node's params with the kind's defaults filled in, as comparable text. */
function settledParams(node: Pick<PipelineNode, 'type' | 'params'>): string {
  const composite = registry.get(node.type)?.composite; // a model block: its inner params, defaults filled in
  if (composite) return stableJson(composite.values(node.params));
  const parsed = registry.get(node.type)?.params.safeParse(node.params);
  return stableJson(parsed?.success ? parsed.data : node.params);
}

/**
 * Whether `doc` is the pipeline the run trained (`trained`), perhaps edited since: the same name
 * and the same blocks (ids and kinds). Another pipeline shows none of the run's numbers, even on
 * blocks it happens to share (a loss block is a loss block).
 * @example samePipeline(runDoc, studio.getState().doc)
 */
export function samePipeline(trained: Pipeline, doc: Pipeline): boolean {
  if (trained.meta.name !== doc.meta.name || trained.nodes.length !== doc.nodes.length) return false;
  const kinds = new Map(trained.nodes.map((n) => [n.id, n.type]));
  return doc.nodes.every((n) => kinds.get(n.id) === n.type);
}

/**
 * Whether the block `node` on the canvas is the one the run trained: same id, same kind and the
 * same params (defaults filled in). Another pipeline's numbers, or numbers from before an edit,
 * do not belong on it.
 * @example trainedAsIs(runDoc, { id: 'model', type: 'model', params: { d_model: 128 } })
 */
export function trainedAsIs(trained: Pipeline, node: Pick<PipelineNode, 'id' | 'type' | 'params'>): boolean {
  const ran = trained.nodes.find((n) => n.id === node.id);
  return !!ran && ran.type === node.type && settledParams(ran) === settledParams(node);
}
