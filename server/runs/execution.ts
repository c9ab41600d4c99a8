// A run in progress, whichever executor trains it: what the manager can ask of it while it
// trains, and what a run's record holds while it does.
import type { WriteStream } from 'node:fs';

/** A run training on this server (a worker thread, PyTorch processes): what the manager can ask of it. */
export interface Execution {
  pause(): void;
  resume(): void;
  stop(): void;
  /** Ends it now (the run has ended, or the server is closing). */
  terminate(): Promise<void>;
  /** Begins training, once the run is active (an executor whose start already began leaves it out). */
  launch?(): void;
  /** Takes a live edit of the running pipeline; an executor that cannot leaves it out. */
  edit?(edit: LiveEdit): void;
}

/** A change to a running pipeline: one param of one node. */
export interface LiveEdit {
  nodeId: string;
  field: string;
  value: unknown;
}

export interface ActiveRun {
  execution: Execution;
  /** Appends to the run's events.jsonl. */
  writer: WriteStream;
  ended: boolean;
}
