// Which checkpoint a stopped or interrupted run continues from. The newest checkpoint on disk is
// not enough: a worker commits a checkpoint inside its step, and the step's events (its metrics,
// `checkpoint/saved`, `step`) reach events.jsonl a moment later, through the main thread. A server
// killed in between leaves a checkpoint newer than the stored events; resuming from it would skip
// those events for good. So a checkpoint becomes the resume point only once the `step` event of its
// step is stored: events are stored in the order they were emitted, and a step's `step` event is
// its last, so everything up to that step is in events.jsonl then. An older checkpoint, or the
// start, is taken otherwise, and the steps in between train (and report) again.
import { checkCheckpointName, type CheckpointEntry } from '../../engine/checkpoint/checkpoint-store';
import type { RunStatus, RunFolders } from './run-folders';

/** Steps whose `step` event events.jsonl holds (read up to its first gap or damaged line). */
export async function storedSteps(store: Pick<RunFolders, 'readEvents'>, id: string): Promise<Set<number>> {
  const steps = new Set<number>();
  for await (const batch of store.readEvents(id, 0)) {
    for (const event of batch) if (event.type === 'step') steps.add(event.step);
  }
  return steps;
}

/**
 * The newest of `checkpoints` (oldest first) whose step's events are all stored, or undefined
 * (start over). A checkpoint at or before the run's own first step (the one it was started from)
 * has no events of this run to wait for.
 * @example resumePoint(status, [{ name: 'ckpt-000002', step: 2, bytes }, ...], new Set([1, 2, 3]))
 */
export function resumePoint(status: { resumedFrom?: RunStatus['resumedFrom'] }, checkpoints: CheckpointEntry[], stored: Set<number>): CheckpointEntry | undefined {
  const firstStep = status.resumedFrom?.step ?? 0;
  return checkpoints.findLast((entry) => entry.step <= firstStep || stored.has(entry.step));
}

/** Whether `name` may stand in status.lastCheckpoint: a checkpoint name (what the engine and uploads accept). */
export function isCheckpointName(name: string): boolean {
  try {
    checkCheckpointName(name);
    return true;
  } catch {
    return false;
  }
}

/**
 * status.lastCheckpoint after a crash: status.json is written at most once a second, so it may
 * name a checkpoint pruned since, or miss the newest. The checkpoints on disk decide.
 */
export function lastCheckpointOnDisk(checkpoints: CheckpointEntry[]): Pick<RunStatus, 'lastCheckpoint'> {
  return { lastCheckpoint: checkpoints.at(-1)?.name };
}
