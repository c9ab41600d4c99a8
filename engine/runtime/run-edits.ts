// A training run's live edits, between two steps: edits asked by the host (checked, applied to
// the nodes at once, recorded as `run/edited` events and train_log.jsonl lines) and, in a resumed
// run, the edits of its history that happened after its checkpoint, replayed at their steps.
import type { RunEvent } from '../events';
import type { Registry } from '../nodes/registry';
import type { Plan } from '../plan';
import { applyEdit, checkEdit, type EditRecord, type EditRefusal, type EditRequest } from './edits';
import type { RuntimeIO } from './io';
import type { NodeRuntime } from './types';

/** What applying an edit came to: the step it took effect at, or why it was refused. */
export type EditOutcome = { appliedAtStep: number } | EditRefusal;

/** An edit the host asks for; `settle` is called once, when it is applied or refused. */
export interface PendingEdit extends EditRequest {
  settle(outcome: EditOutcome): void;
}

export class RunEdits {
  /** Every edit of the run so far (those before a resume included), in order. */
  readonly history: EditRecord[];
  private readonly replays: EditRecord[];

  constructor(
    private readonly plan: Plan,
    private readonly runtimes: ReadonlyMap<string, NodeRuntime>,
    private readonly registry: Registry,
    private readonly io: RuntimeIO,
    private readonly emit: (event: RunEvent) => void,
    history: readonly EditRecord[],
    startStep: number,
  ) {
    this.history = history.filter((e) => e.step <= startStep);
    this.replays = history.filter((e) => e.step > startStep).sort((a, b) => a.step - b.step);
  }

  /** Applies, with `stepsDone` steps completed, the replays due now and then the host's requests. */
  async apply(stepsDone: number, requests: readonly PendingEdit[]): Promise<number> {
    while (this.replays.length && this.replays[0].step <= stepsDone) {
      const edit = this.replays.shift()!;
      await this.record({ ...edit, step: stepsDone }, true);
    }
    for (const request of requests) {
      const checked = checkEdit(this.plan, request, stepsDone, this.registry);
      if ('status' in checked) {
        request.settle(checked);
        continue;
      }
      try {
        await this.record({ step: stepsDone, nodeId: request.nodeId, changes: checked.changes }, false);
      } catch (e) {
        request.settle({
          status: 409,
          error: `${request.nodeId}: ${(e as Error).message}`,
          errors: [{ nodeId: request.nodeId, message: (e as Error).message }],
        });
        continue;
      }
      request.settle({ appliedAtStep: stepsDone });
    }
    return requests.length;
  }

  private async record(edit: EditRecord, replayed: boolean): Promise<void> {
    const runtime = this.runtimes.get(edit.nodeId);
    applyEdit(this.plan, edit, runtime?.retune ? (params) => runtime.retune!(params) : undefined);
    this.history.push(edit);
    this.emit({ type: 'run/edited', nodeId: edit.nodeId, step: edit.step, data: { changes: edit.changes, ...(replayed ? { replayed } : {}) } });
    await this.io.appendLog(JSON.stringify({ step: edit.step, edited: { nodeId: edit.nodeId, changes: edit.changes } }));
  }
}

/** Refuses edits that arrive once the run has stopped taking them. */
export function refuseEdits(requests: readonly PendingEdit[], why: string): void {
  for (const request of requests) request.settle({ status: 409, error: why, errors: [{ nodeId: request.nodeId, message: why }] });
}
