// A run in progress, whichever executor trains it: what the manager can ask of it while it
// trains, and what a run's record holds while it does.
import type { WriteStream } from 'node:fs';
import type { LiveRequests } from './commands';

/** A run training on this server (a worker thread, PyTorch processes): what the manager can ask of it. */
export interface Execution {
  pause(): void;
  resume(): void;
  stop(): void;
  /** Ends it now (the run has ended, or the server is closing). */
  terminate(): Promise<void>;
  /** Begins training, once the run is active (an executor whose start already began leaves it out). */
  launch?(): void;
  /** Live edits and text from the model, where the executor takes them (commands.ts). */
  live?: LiveRequests;
}

export interface ActiveRun {
  execution: Execution;
  /** Appends to the run's events.jsonl. */
  writer: WriteStream;
  ended: boolean;
  /** Set once stop is asked: ends the run if its step has not finished by then (executions.ts). */
  stopDeadline?: ReturnType<typeof setTimeout>;
}
