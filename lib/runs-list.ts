// The runs list's arithmetic (/runs): filters by state, executor and pipeline name, and the order
// of its rows, where the points of a sweep stay together under their sweep (placed where its
// newest point would be). Pure; the page draws it.
import type { RunStatus } from './run-stream';

export interface RunsFilter {
  /** 'all', 'active' (queued, running, paused) or one state. */
  state: string;
  /** 'all' or an executor name. */
  executor: string;
  /** Part of the pipeline's name (any case); '' for all. */
  name: string;
}

export const NO_FILTER: RunsFilter = { state: 'all', executor: 'all', name: '' };
const ACTIVE = ['queued', 'running', 'paused'];

export function matchesFilter(status: RunStatus, filter: RunsFilter, state: string = status.state): boolean {
  if (filter.state === 'active' ? !ACTIVE.includes(state) : filter.state !== 'all' && state !== filter.state) return false;
  if (filter.executor !== 'all' && status.executor !== filter.executor) return false;
  return !filter.name || status.name.toLowerCase().includes(filter.name.trim().toLowerCase());
}

export type RunsRow = { kind: 'run'; status: RunStatus } | { kind: 'sweep'; id: string; runs: RunStatus[] };

/**
 * Rows newest first; a sweep's points (in their grid order) follow one header row.
 * @example groupSweeps([a, b]) // [{ kind: 'sweep', id, runs: [a, b] }] when both are points of one sweep
 */
export function groupSweeps(newestFirst: RunStatus[]): RunsRow[] {
  const rows: RunsRow[] = [];
  const sweeps = new Map<string, Extract<RunsRow, { kind: 'sweep' }>>();
  for (const status of newestFirst) {
    const id = status.sweep?.id;
    if (!id) {
      rows.push({ kind: 'run', status });
      continue;
    }
    let group = sweeps.get(id);
    if (!group) {
      group = { kind: 'sweep', id, runs: [] };
      sweeps.set(id, group);
      rows.push(group);
    }
    group.runs.push(status);
  }
  // Points were created in grid order: oldest id first.
  for (const group of sweeps.values()) group.runs.sort((a, b) => (a.id < b.id ? -1 : 1));
  return rows;
}

/** "scheduler.lr=0.003, training.seed=2" */
export function sweepLabel(values: Record<string, unknown>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}

/** "scheduler.lr × 3" from a sweep's points. */
export function sweepAxesLabel(runs: RunStatus[]): string {
  const axes = new Map<string, Set<string>>();
  for (const r of runs) for (const [k, v] of Object.entries(r.sweep?.values ?? {})) axes.set(k, (axes.get(k) ?? new Set()).add(String(v)));
  return [...axes].map(([k, values]) => `${k} × ${values.size}`).join(' · ');
}
