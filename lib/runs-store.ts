// The runs slice (zustand, beside the document store): a view per run rebuilt from its event
// stream (lib/run-stream.ts), the runs list, the run the studio's canvas shows, and the problems
// the server found in the last submission. Fed by lib/run-client.ts; no socket in here, so it
// runs in tests as is.
import { useStore } from 'zustand';
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { BackendPreference } from '../engine/browser/protocol';
import { DEFAULT_EXECUTOR, EXECUTOR_DEFINITIONS, type ExecutorName } from '../engine/executors';
import { applyEvents, applyStatus, emptyRun, type RunStatus, type RunView, type WireEvent } from './run-stream';

/** A problem the server reported for a submission (compile errors, torch export checks). */
export interface SubmitProblem {
  nodeId?: string;
  edgeId?: string;
  field?: string;
  code?: string;
  message: string;
}

/** What `GET /api/executors` says of one executor (node: its backends; torch: its version and device). */
export interface ExecutorReport {
  available: boolean;
  backends?: string[];
  device?: string;
  version?: string;
  gpus?: number;
  error?: string;
}

/** `GET /api/executors`, by executor; null until known, and when the server does not have the route. */
export type ExecutorsInfo = Partial<Record<ExecutorName, ExecutorReport>>;

/** Where a run trains: the server (tfjs-node or PyTorch) or this tab (lib/browser-runs.ts); engine/executors.ts lists them. */
export type Executor = ExecutorName;

/** An entry of the executor select. */
export interface ExecutorOption {
  name: Executor;
  label: string;
}

/**
 * The executors the studio offers, in order: each one, except those offered only while the
 * server reports them available (torch), whose label then names the device.
 * @example executorOptions({ node: { available: true }, torch: { available: true, device: 'cpu' } }) // Node (server), Torch · cpu, Browser (this tab)
 */
export function executorOptions(info: ExecutorsInfo | null): ExecutorOption[] {
  return EXECUTOR_DEFINITIONS.flatMap((d): ExecutorOption[] => {
    if (!('offeredWhenAvailable' in d)) return [{ name: d.name, label: d.label }];
    const report = info?.[d.name];
    return report?.available ? [{ name: d.name, label: `${d.label} · ${report.device ?? 'auto'}` }] : [];
  });
}
export type BottomTab = 'problems' | 'run';

export interface RunsState {
  runs: Record<string, RunView>;
  /** Statuses of every run the server listed or broadcast, by id. */
  statuses: Record<string, RunStatus>;
  /** Whether `GET /api/runs` has answered once. */
  listed: boolean;
  /** Runs the server does not know (a forgotten id in localStorage). */
  missing: Record<string, true>;
  /** The run the studio's canvas and run panel show. */
  attached: string | null;
  submitProblems: SubmitProblem[];
  executors: ExecutorsInfo | null;
  executor: Executor;
  /** Which tfjs backend a browser run starts with ('auto': WebGPU, then WebGL, WASM, CPU). */
  browserBackend: BackendPreference;
  bottomTab: BottomTab;

  applyBatches(batches: { runId: string; events: WireEvent[] }[]): void;
  applyStatus(status: RunStatus): void;
  setList(statuses: RunStatus[]): void;
  /** Forgets what was received of a run (to replay it from the start). */
  resetRun(runId: string): void;
  markMissing(runId: string): void;
  attach(runId: string | null): void;
  setSubmitProblems(problems: SubmitProblem[]): void;
  setExecutors(info: ExecutorsInfo | null): void;
  setExecutor(executor: Executor): void;
  setBrowserBackend(backend: BackendPreference): void;
  setBottomTab(tab: BottomTab): void;
}

/**
 * A runs store. The app uses the shared `runsStore`; tests make their own.
 * @example const store = createRunsStore(); store.getState().applyBatches([{ runId, events }]);
 */
export function createRunsStore(): StoreApi<RunsState> {
  return createStore<RunsState>()((set, get) => ({
    runs: {},
    statuses: {},
    listed: false,
    missing: {},
    attached: null,
    submitProblems: [],
    executors: null,
    executor: DEFAULT_EXECUTOR,
    browserBackend: 'auto',
    bottomTab: 'problems',

    applyBatches(batches) {
      const runs = get().runs;
      let next: Record<string, RunView> | undefined;
      for (const { runId, events } of batches) {
        const before = (next ?? runs)[runId] ?? emptyRun(runId);
        const after = applyEvents(before, events);
        if (after !== before || !(runId in (next ?? runs))) (next ??= { ...runs })[runId] = after;
      }
      if (next) set({ runs: next });
    },

    applyStatus(status) {
      const { runs, statuses } = get();
      const held = statuses[status.id];
      const newer = !held || held.updatedAt <= status.updatedAt || held.lastSeq < status.lastSeq;
      const patch: Partial<RunsState> = {};
      if (newer) patch.statuses = { ...statuses, [status.id]: status };
      const run = runs[status.id];
      if (run) {
        const updated = applyStatus(run, status);
        if (updated !== run) patch.runs = { ...runs, [status.id]: updated };
      }
      if (Object.keys(patch).length) set(patch);
    },

    setList(list) {
      const statuses = { ...get().statuses };
      for (const s of list) if (!statuses[s.id] || statuses[s.id].updatedAt <= s.updatedAt) statuses[s.id] = s;
      set({ statuses, listed: true });
      for (const s of list) if (get().runs[s.id]) get().applyStatus(s);
    },

    resetRun(runId) {
      set((s) => ({ runs: { ...s.runs, [runId]: emptyRun(runId) } }));
    },

    markMissing(runId) {
      set((s) => ({ missing: { ...s.missing, [runId]: true } }));
    },

    attach(attached) {
      set({ attached });
    },

    setSubmitProblems(submitProblems) {
      set({ submitProblems });
    },

    setExecutors(executors) {
      const offered = executorOptions(executors).some((o) => o.name === get().executor);
      set({ executors, ...(offered ? {} : { executor: DEFAULT_EXECUTOR }) });
    },

    setExecutor(executor) {
      set({ executor });
    },

    setBrowserBackend(browserBackend) {
      set({ browserBackend });
    },

    setBottomTab(bottomTab) {
      set({ bottomTab });
    },
  }));
}

/** The app's runs store. */
export const runsStore = createRunsStore();

/**
 * Reads a slice of the runs store; wrap object/array selectors in useShallow.
 * @example const view = useRuns((s) => s.runs[id]);
 */
export function useRuns<T>(selector: (state: RunsState) => T): T {
  return useStore(runsStore, selector);
}
