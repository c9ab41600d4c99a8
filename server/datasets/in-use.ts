// Which runs read a library dataset: those not finished whose pipeline has a dataset node with
// source 'library' naming it. DELETE /api/datasets/:id is refused while there are any.
import type { RunManager } from '../runs/manager';

const ACTIVE = new Set(['queued', 'running', 'paused']);

/** The dataset ids a pipeline document's dataset nodes read from the library. */
export function libraryDatasetsOf(pipeline: unknown): string[] {
  const nodes = (pipeline as { nodes?: unknown })?.nodes;
  if (!Array.isArray(nodes)) return [];
  return nodes.flatMap((n: { type?: unknown; params?: { source?: unknown; dataset?: unknown } }) =>
    n?.type === 'dataset' && n.params?.source === 'library' && typeof n.params.dataset === 'string' ? [n.params.dataset] : [],
  );
}

/**
 * @example const library = new DatasetLibrary({ dataDir, maxUploadBytes, usedBy: runsUsingDataset(manager) });
 */
export function runsUsingDataset(manager: RunManager): (id: string) => Promise<string[]> {
  return async (id) => {
    const users: string[] = [];
    for (const run of manager.list().filter((r) => ACTIVE.has(r.state))) {
      const pipeline = await manager.store.readJson(run.id, 'pipeline.json').catch(() => undefined);
      if (libraryDatasetsOf(pipeline).includes(id)) users.push(run.id);
    }
    return users;
  };
}
