// Live edits of a torch run: appended as {"node_id", "params"} lines to the run folder's
// edit-requests.jsonl, which train.py reads before every step; the edit is taken once its
// train_log.jsonl line comes back as a `run/edited` event (train.py applies requests in order, so
// the answers match the requests first in, first out), or refused as a `run/edit-refused` event
// when train.py finds it no longer fits (e.g. training.steps already passed). What train.py cannot
// change in place is refused here, before anything is written. Prompts between steps go through TorchPrompts
// (torch-prompts.ts): sample-requests.jsonl in, sample-answers/<id>.json out.
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunEvent } from '../../engine/events';
import type { SampleAnswer, SampleRequest } from '../../engine/runtime/ask';
import type { EditRecord, EditRequest } from '../../engine/runtime/edits';
import type { EditOutcome } from '../../engine/runtime/run-edits';
import { ENDED_EDIT, type LiveRequests } from './commands';
import type { TorchPrompts } from './torch-prompts';

export const EDIT_REQUESTS_FILE = 'edit-requests.jsonl';

/** Why train.py cannot take an edit in place, or undefined when it can. */
export function torchEditRefusal(request: EditRequest, changes: EditRecord['changes']): string | undefined {
  if (request.nodeId === 'backward') return 'backward settings are fixed in torch runs (train.py stops on a non-finite loss)';
  const decay = changes.weight_decay;
  if (decay && (decay[0] === 0) !== (decay[1] === 0)) return 'weight_decay cannot switch between 0 and non-zero while a torch run trains (its parameter groups are fixed)';
  if (changes.decay_norms_and_biases) return 'decay_norms_and_biases is fixed while a torch run trains (its parameter groups are fixed)';
  return undefined;
}

/** train.py's refusal of an edit it reached (the run goes on): a 400 naming the node and field. */
function refusal(nodeId: string, { message, field }: { message: string; field?: string }): EditOutcome {
  return { status: 400, error: `${nodeId}${field ? `.${field}` : ''}: ${message}`, errors: [{ nodeId, ...(field ? { field } : {}), message }] };
}

export class TorchCommands implements LiveRequests {
  private waiting: ((outcome: EditOutcome) => void)[] = [];
  private writing: Promise<unknown> = Promise.resolve();
  private ended = false;

  constructor(private readonly runDir: string, private readonly prompts: TorchPrompts) {}

  async edit(request: EditRequest, changes: EditRecord['changes'] = {}): Promise<EditOutcome> {
    if (this.ended) return ENDED_EDIT;
    const refusal = torchEditRefusal(request, changes);
    if (refusal) return { status: 409, error: `${request.nodeId}: ${refusal}`, errors: [{ nodeId: request.nodeId, message: refusal }] };
    let settle!: (outcome: EditOutcome) => void;
    const answered = new Promise<EditOutcome>((resolve) => (settle = resolve));
    this.waiting.push(settle);
    // One append after another: the file's order must be the waiting list's (answers come back in it).
    const line = JSON.stringify({ node_id: request.nodeId, params: request.params }) + '\n';
    const written = this.writing.then(() => appendFile(join(this.runDir, EDIT_REQUESTS_FILE), line));
    this.writing = written.catch(() => undefined); // a failed append fails its own request only
    try {
      await written;
    } catch (error) {
      this.waiting.splice(this.waiting.indexOf(settle), 1); // nothing was written: no answer will come
      throw error;
    }
    return answered;
  }

  sample(request: SampleRequest): Promise<SampleAnswer> {
    return this.prompts.ask(request);
  }

  /** The run's events as they are stored: each new or refused edit answers the oldest request. */
  observe(events: readonly RunEvent[]): void {
    for (const event of events) {
      if (event.type === 'run/edited' && !event.data.replayed) this.waiting.shift()?.({ appliedAtStep: event.step });
      if (event.type === 'run/edit-refused') this.waiting.shift()?.(refusal(event.nodeId, event.data));
    }
  }

  end(): void {
    this.ended = true;
    this.prompts.end();
    for (const resolve of this.waiting.splice(0)) resolve(ENDED_EDIT);
  }
}
