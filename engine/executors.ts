// The executors a run trains on, named once for every side: the studio's executor select offers
// them, a run's status and a checkpoint's metadata record them, and the server's registry
// (server/runs/executors/) gives each its checks, lifecycle and report. No imports, no Node: the
// page's bundle reads it too.

export interface ExecutorDefinition {
  /** What a submission's `executor`, a run's status and a checkpoint's metadata call it. */
  name: string;
  /** How the studio's executor select shows it. */
  label: string;
  /**
   * server: the server trains it (queued for a training slot, then started there); tab: a browser
   * tab trains it, and the server only records what the tab posts.
   */
  trainsIn: 'server' | 'tab';
  /** Which backend a run's status shows: the one asked for, or the one its run/started names. */
  statusBackend: 'asked' | 'started';
  /** The studio offers it only while GET /api/executors reports it available (its label then names the device). */
  offeredWhenAvailable?: boolean;
}

export const EXECUTOR_DEFINITIONS = [
  { name: 'node', label: 'Node (server)', trainsIn: 'server', statusBackend: 'asked' },
  { name: 'torch', label: 'Torch', trainsIn: 'server', statusBackend: 'started', offeredWhenAvailable: true },
  { name: 'browser', label: 'Browser (this tab)', trainsIn: 'tab', statusBackend: 'started' },
] as const satisfies readonly ExecutorDefinition[];

export type ExecutorName = (typeof EXECUTOR_DEFINITIONS)[number]['name'];

/** The names, in the order the studio offers them (a tuple, for z.enum). */
export const EXECUTOR_NAMES = EXECUTOR_DEFINITIONS.map((d) => d.name) as [ExecutorName, ...ExecutorName[]];

/** Where a submission without `executor` trains. */
export const DEFAULT_EXECUTOR: ExecutorName = 'node';

/**
 * The definition of executor `name`.
 * @example executorDefinition('browser').trainsIn // 'tab'
 */
export function executorDefinition<N extends ExecutorName>(name: N): Extract<(typeof EXECUTOR_DEFINITIONS)[number], { name: N }> {
  const definition = EXECUTOR_DEFINITIONS.find((d) => d.name === name);
  if (!definition) throw new Error(`no executor ${JSON.stringify(name)}`);
  return definition as Extract<(typeof EXECUTOR_DEFINITIONS)[number], { name: N }>;
}
