// What an executor is to the server: its shared definition (engine/executors.ts) extended with
// the request fields it takes, the checks a submission for it passes, how it starts a run (the
// Execution it returns pauses, resumes, stops and takes edits), and what GET /api/executors
// reports of it. index.ts loads the shipped ones, registry.ts keeps them.
import type { z } from 'zod';
import type { TorchInfo } from '../../../engine/node/torch-launch';
import type { ExecutorDefinition } from '../../../engine/executors';
import type { Plan } from '../../../engine/plan';
import type { Execution } from '../execution';
import type { WorkerMessage } from '../messages';
import type { RunRecord } from '../records';
import type { SubmitRefusal } from '../refusals';
import type { RunFolders, RunStatus } from '../run-folders';

/** The submission fields an executor takes beyond pipeline and steps. */
export interface ExecutorRequest {
  /** The `backend` values it starts with; absent: it takes no backend. */
  backend?: z.ZodEnum<Record<string, string>>;
  /** Its own settings, submitted under its name (`torch: { nproc, device }`). */
  settings?: z.ZodType;
  /** Whether a run of it can start from a checkpoint (`resume`). */
  resume: boolean;
  /** How a field it does not take is refused, given the executors that take it (`executors "node" and "browser"`). */
  refusal?: Partial<Record<'backend' | 'resume', (takers: string) => string>>;
}

/** What a checked submission asks of its executor. */
export interface ExecutorAsk {
  backend?: string;
  /** The submission's field named after the executor. */
  settings?: unknown;
  /** Whether the run starts from a checkpoint. */
  resume: boolean;
}

/** A submission the executor accepts: the status's backend, and what else its status records. */
export interface ExecutorAcceptance {
  backend: string;
  status?: Partial<RunStatus>;
}

/** What the server lends its executors: the run folders, its settings, and python's torch. */
export interface ExecutorServer {
  store: Pick<RunFolders, 'dir' | 'checkpointsDir' | 'readJson'>;
  /** Where bundled corpora are prepared. */
  dataDir: string;
  /** Environment of the worker threads and PyTorch processes. Default: this process's. */
  workerEnv?: NodeJS.ProcessEnv;
  python: string;
  torchStopGraceMs: number;
  torchPollMs: number;
  /** What python's torch has (asked once for the server's life). */
  torchInfo(): Promise<TorchInfo>;
  /** Whether the server is closing: a run not yet started stays queued for the next server. */
  closing(): boolean;
}

/** How an execution speaks to the manager; once its run has ended, what it says is ignored. */
export interface RunChannel {
  /** A message of the run: its events, its end, a rejection or a crash. */
  message(message: WorkerMessage): void;
  /** It failed without ending its run: the run has crashed. */
  crash(reason: string): void;
  /** The status changed between events (a torch run's pid): applied and saved now. */
  update(patch: Partial<RunStatus>): void;
}

export interface ServerExecutor extends ExecutorDefinition {
  request: ExecutorRequest;
  /**
   * Checks a compiled submission for this executor (a refusal creates nothing) and says what the
   * run's status starts with.
   */
  accept(plan: Plan, ask: ExecutorAsk, server: ExecutorServer): Promise<SubmitRefusal | ExecutorAcceptance>;
  /**
   * Starts a run that holds a training slot; undefined when the server is closing (the run stays
   * queued). Executors whose runs train in a tab have none.
   */
  start?(record: RunRecord, server: ExecutorServer, channel: RunChannel): Promise<Execution | undefined>;
  /** Clears from a run's status what only a training run has (a torch run's pid), once it ended. */
  ended?(status: RunStatus): void;
  /** A run the last server left running: ends what it left behind (a torch run's processes). */
  recover?(status: RunStatus, runDir: string): void;
  /** The stopped or interrupted run continues on this executor instead (a browser run, on the server). */
  resumesOn?: { executor: string; backend: string };
  /** Its entry in GET /api/executors; an executor without one is not listed. */
  report?(server: ExecutorServer): Promise<Record<string, unknown>>;
}
