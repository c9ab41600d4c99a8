// Live requests to a browser run, which trains in a tab: the server keeps them until the tab
// fetches them (GET /api/runs/:id/requests, a long poll) and answers each by id
// (POST /api/runs/:id/requests/:rid); the caller of the edit or prompt waits for that answer. A
// stop (a browser sweep being stopped) is only delivered: the run's run/finished is its answer.
import { z } from 'zod';
import type { SampleAnswer, SampleRequest } from '../../engine/runtime/ask';
import type { EditRecord, EditRequest } from '../../engine/runtime/edits';
import type { EditOutcome } from '../../engine/runtime/run-edits';
import { ENDED_EDIT, ENDED_SAMPLE, type LiveRequests } from './commands';
import { EditOutcomeSchema } from './messages';

/** What the tab fetches. */
type Unnumbered =
  | { kind: 'edit'; nodeId: string; params: Record<string, unknown> }
  | { kind: 'sample'; prompt: string; maxNewTokens: number; temperature?: number; topK?: number };
export type TabRequest = (Unnumbered | { kind: 'stop' }) & { id: number };

/** What the tab posts back for one request. */
export const TabAnswer = z.union([
  z.object({ outcome: EditOutcomeSchema }).strict(),
  z.object({ answer: z.union([z.object({ text: z.string().max(1 << 20), step: z.number().int() }), z.object({ error: z.string().max(10_000) })]) }).strict(),
]);
export type TabAnswer = z.infer<typeof TabAnswer>;

/** How long a long poll waits for a request before it answers an empty list. */
export const POLL_MS = 25_000;
/** Requests a tab has not fetched after this long are answered that the tab did not take them. */
const UNTAKEN_MS = 60_000;

export class TabRequests implements LiveRequests {
  private nextId = 1;
  private queue: TabRequest[] = [];
  private readonly waiting = new Map<number, { kind: 'edit' | 'sample'; resolve(answer: TabAnswer): void; timer: ReturnType<typeof setTimeout> }>();
  private readonly pollers = new Set<(requests: TabRequest[]) => void>();

  edit(request: EditRequest, _changes?: EditRecord['changes']): Promise<EditOutcome> {
    return this.ask({ kind: 'edit', nodeId: request.nodeId, params: request.params }).then((a) => ('outcome' in a ? a.outcome : ENDED_EDIT));
  }

  sample(request: SampleRequest): Promise<SampleAnswer> {
    const { prompt, maxNewTokens, temperature, topK } = request;
    return this.ask({ kind: 'sample', prompt, maxNewTokens, ...(temperature !== undefined ? { temperature } : {}), ...(topK !== undefined ? { topK } : {}) })
      .then((a) => ('answer' in a ? a.answer : ENDED_SAMPLE));
  }

  /** Asks the tab to stop its run after the current step; nothing waits for an answer. */
  stop(): void {
    if (this.queue.some((r) => r.kind === 'stop')) return;
    this.deliver({ kind: 'stop', id: this.nextId++ });
  }

  /** The requests not yet handed to the tab; waits up to `waitMs` for one. */
  poll(waitMs = POLL_MS): Promise<TabRequest[]> {
    if (this.queue.length) return Promise.resolve(this.queue.splice(0));
    return new Promise((resolve) => {
      const done = (requests: TabRequest[]) => {
        clearTimeout(timer);
        this.pollers.delete(done);
        resolve(requests);
      };
      const timer = setTimeout(() => done([]), waitMs);
      this.pollers.add(done);
    });
  }

  /** The tab's answer to request `id`; false when nothing waits for it (unknown, answered, or of the other kind). */
  answer(id: number, answer: TabAnswer): boolean {
    const entry = this.waiting.get(id);
    if (!entry || entry.kind !== ('outcome' in answer ? 'edit' : 'sample')) return false;
    clearTimeout(entry.timer);
    this.waiting.delete(id);
    entry.resolve(answer);
    return true;
  }

  /** The run no longer trains in its tab: whatever waits is answered that it ended. */
  end(): void {
    for (const [id, entry] of this.waiting) this.answer(id, entry.kind === 'edit' ? { outcome: ENDED_EDIT } : { answer: ENDED_SAMPLE });
    this.queue = [];
    for (const poller of [...this.pollers]) poller([]);
  }

  private ask(request: Unnumbered): Promise<TabAnswer> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      const kind = request.kind;
      const timer = setTimeout(() => {
        this.queue = this.queue.filter((r) => r.id !== id);
        this.answer(id, kind === 'edit' ? { outcome: { status: 409, error: 'the run\'s tab did not take the request (is it still open?)', errors: [] } } : { answer: { error: 'the run\'s tab did not answer' } });
      }, UNTAKEN_MS);
      this.waiting.set(id, { kind, resolve, timer });
      this.deliver({ ...request, id });
    });
  }

  /** Queues a request, handing the queue at once to a poll that waits. */
  private deliver(request: TabRequest): void {
    this.queue.push(request);
    const poller = this.pollers.values().next().value;
    if (poller) poller(this.queue.splice(0));
  }
}
