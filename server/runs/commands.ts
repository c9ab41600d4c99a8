// Live requests to a run in progress (edits, text from its model), delivered per executor: a node
// run's worker thread gets them as messages (counted in its control buffer, so a thread busy with
// steps turns its event loop to read them between steps); its answers come back as messages.
import type { Worker } from 'node:worker_threads';
import type { SampleAnswer, SampleRequest } from '../../engine/runtime/ask';
import type { EditRecord, EditRequest } from '../../engine/runtime/edits';
import type { EditOutcome } from '../../engine/runtime/run-edits';
import type { WorkerCommand, WorkerMessage } from './messages';

/** What a live run can be asked between two steps; absent where its executor cannot. */
export interface LiveRequests {
  /** `changes` are the checked edit's [old, new] values (checkEdit). */
  edit(request: EditRequest, changes?: EditRecord['changes']): Promise<EditOutcome>;
  sample(request: SampleRequest): Promise<SampleAnswer>;
}

/** The answer to a request that reached no step boundary: the run ended first. */
export const ENDED_EDIT: EditOutcome = { status: 409, error: 'the run ended before the edit could apply', errors: [] };
export const ENDED_SAMPLE: SampleAnswer = { error: 'the run ended before it could answer' };

/** Requests to one worker thread, waiting for their answers by id. */
export class WorkerCommands implements LiveRequests {
  private nextId = 1;
  private readonly edits = new Map<number, (outcome: EditOutcome) => void>();
  private readonly samples = new Map<number, (answer: SampleAnswer) => void>();
  private ended = false;

  /** `flags` is the worker's control buffer: [1] counts the commands posted. */
  constructor(private readonly worker: Pick<Worker, 'postMessage'>, private readonly flags: Int32Array) {}

  edit(request: EditRequest): Promise<EditOutcome> {
    if (this.ended) return Promise.resolve(ENDED_EDIT);
    return new Promise((resolve) => {
      const id = this.nextId++;
      this.edits.set(id, resolve);
      this.post({ type: 'run/edit', id, nodeId: request.nodeId, params: request.params });
    });
  }

  sample(request: SampleRequest): Promise<SampleAnswer> {
    if (this.ended) return Promise.resolve(ENDED_SAMPLE);
    return new Promise((resolve) => {
      const id = this.nextId++;
      this.samples.set(id, resolve);
      this.post({
        type: 'run/sample', id, prompt: request.prompt, maxNewTokens: request.maxNewTokens,
        ...(request.temperature !== undefined ? { temperature: request.temperature } : {}), ...(request.topK !== undefined ? { topK: request.topK } : {}),
      });
    });
  }

  /** Takes the worker's answers; true when `message` was one. */
  answer(message: WorkerMessage): boolean {
    if (message.type === 'run/edit-result') {
      this.edits.get(message.id)?.(message.outcome);
      this.edits.delete(message.id);
      return true;
    }
    if (message.type === 'run/sample-result') {
      const { text, step, error } = message;
      this.samples.get(message.id)?.(text !== undefined && step !== undefined ? { text, step } : { error: error ?? 'no answer' });
      this.samples.delete(message.id);
      return true;
    }
    return false;
  }

  /** The worker is gone: whatever waits is answered that the run ended. */
  end(): void {
    this.ended = true;
    for (const resolve of this.edits.values()) resolve(ENDED_EDIT);
    for (const resolve of this.samples.values()) resolve(ENDED_SAMPLE);
    this.edits.clear();
    this.samples.clear();
  }

  private post(command: WorkerCommand): void {
    this.worker.postMessage(command);
    Atomics.add(this.flags, 1, 1);
  }
}
