// Runs as a family tree: forks under the runs they started from (status.parent), with a short
// label of what each fork changed (GET /api/runs/:id/diff), e.g. "scheduler.lr 0.003 → 0.001 @ step 400".
import { describeChanges, type FieldChange } from '../engine/pipeline/diff';

export interface LineageRun {
  id: string;
  name: string;
  parent?: { run: string; step: number };
}

export interface LineageNode<R extends LineageRun = LineageRun> {
  run: R;
  children: LineageNode<R>[];
}

/**
 * Roots (runs without a parent on this list) with their forks below, oldest first at every level.
 * @example lineageTree([a, forkOfA]) // [{ run: a, children: [{ run: forkOfA, children: [] }] }]
 */
export function lineageTree<R extends LineageRun>(runs: readonly R[]): LineageNode<R>[] {
  const nodes = new Map(runs.map((run) => [run.id, { run, children: [] as LineageNode<R>[] }]));
  const roots: LineageNode<R>[] = [];
  for (const node of [...nodes.values()].sort((a, b) => (a.run.id < b.run.id ? -1 : 1))) {
    const parent = node.run.parent ? nodes.get(node.run.parent.run) : undefined;
    if (parent && parent !== node) parent.children.push(node);
    else roots.push(node);
  }
  return roots;
}

/** The label of a fork: its changed params and the step it forked at. */
export function forkLabel(changes: readonly FieldChange[], step: number): string {
  const visible = changes.filter((c) => !(c.nodeId === 'training' && c.field === 'steps'));
  return `${visible.length ? describeChanges(visible) : 'no param changes'} @ step ${step}`;
}

/**
 * The runs forked from `runId`, oldest first.
 * @example childrenOf([a, forkOfA, b], 'a') // [forkOfA]
 */
export function childrenOf<R extends LineageRun>(runs: readonly R[], runId: string): R[] {
  return runs.filter((r) => r.parent?.run === runId && r.id !== runId).sort((a, b) => (a.id < b.id ? -1 : 1));
}

/** A fork's label from the server's diff (GET /api/runs/:id/diff); undefined when it cannot be read. */
export async function fetchForkLabel(runId: string, step: number): Promise<string | undefined> {
  try {
    const reply = await fetch(`/api/runs/${encodeURIComponent(runId)}/diff`, { cache: 'no-store' });
    if (!reply.ok) return undefined;
    const diff = (await reply.json()) as { params?: FieldChange[] };
    return forkLabel(Array.isArray(diff.params) ? diff.params : [], step);
  } catch {
    return undefined;
  }
}
