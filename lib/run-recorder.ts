// Records a browser run on the server while this tab trains it (docs/api.md, "Browser runs"): the
// run's events go up in numbered batches (POST /api/runs/:id/events, about every 500 ms, with the
// log lines written since), its checkpoints as they are written (POST /api/runs/:id/checkpoints),
// in the order the worker produced them, one request at a time. A request that fails on the way
// (no connection, a 5xx) is sent again as it was, same seq, so the server stores it once. A
// refusal ends the recording (the run trains on in the tab) and `onStopped` says why; a checkpoint
// the server turns away (too large, say) is only reported, and the events go on.
import type { RunEvent } from '../engine/events';
import { checkpointUpload, type CheckpointPayload } from './browser-executor';

type LogFile = 'train_log.jsonl' | 'samples.jsonl';

export interface RecorderOptions {
  /** Where the API is: '' (this page's origin) in the app, the server's URL in tests. */
  origin?: string;
  /** How often pending events go up (ms). Default 500. */
  intervalMs?: number;
  /** Longest silence towards the server while the run lives, e.g. paused (ms). Default 30 000. */
  heartbeatMs?: number;
  /** How long a failing request is retried before the recording is given up (ms). Default 10 min. */
  retryForMs?: number;
  /** Called once, when the server no longer records the run. */
  onStopped?(reason: string): void;
  /** Called when a checkpoint could not be stored (the recording goes on). */
  onCheckpointRefused?(name: string, reason: string): void;
  /** The fetch to use (tests lose replies on purpose). Default the global one. */
  fetch?: typeof fetch;
}

/** At most this many events, and about this many bytes of JSON, in one batch (the server takes 2 MiB). */
const BATCH_EVENTS = 1000;
const BATCH_BYTES = 1 << 20;
/** A keepalive request (the page going away) may carry at most 64 KiB, counted in UTF-8 bytes. */
const KEEPALIVE_BYTES = 60 * 1024;

/** Bytes of `text` in UTF-8: a sample of a byte-level model is full of 3-byte replacement marks. */
function utf8Bytes(text: string): number {
  return new TextEncoder().encode(text).length;
}

type Task =
  | { kind: 'events'; seq: number; events: RunEvent[]; lines: { file: LogFile; line: string }[]; paused: boolean }
  | { kind: 'checkpoint'; checkpoint: CheckpointPayload };

/** What came of one request: stored, refused for good, or worth sending again. */
type Outcome = { ok: true } | { ok: false; retry: boolean; status?: number; reason: string };

/**
 * The server's record of one browser run, fed by the tab.
 * @example
 *   const recorder = new RunRecorder(id, { onStopped: (why) => toast(why) });
 *   run.onEvents = (events) => recorder.addEvents(events);
 *   await run.done; const complete = await recorder.finish();
 */
export class RunRecorder {
  private pending: RunEvent[] = [];
  private lines: { file: LogFile; line: string }[] = [];
  private tasks: Task[] = [];
  /** The seq the next event will have (events are numbered 1, 2, 3… as the server numbers them). */
  private nextSeq = 1;
  private paused = false;
  /** `paused` as the server last heard it. */
  private pausedSent = false;
  private lastSent = Date.now();
  private stored = new Set<string>();
  private draining: Promise<void> | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private stoppedFor: string | undefined;
  private readonly fetch: typeof fetch;

  constructor(
    readonly runId: string,
    private readonly options: RecorderOptions = {},
  ) {
    this.fetch = options.fetch ?? ((...args) => globalThis.fetch(...args));
    this.timer = setInterval(() => this.tick(), options.intervalMs ?? 500);
  }

  /** Why the server stopped recording the run, or undefined while it records. */
  get stopped(): string | undefined {
    return this.stoppedFor;
  }

  /** Whether the server holds checkpoint `name` (its upload was acknowledged). */
  hasCheckpoint(name: string): boolean {
    return this.stored.has(name);
  }

  /** The run's next events, in order. */
  addEvents(events: readonly RunEvent[]): void {
    if (this.stoppedFor) return;
    this.pending.push(...events);
  }

  /** A line the run appended to train_log.jsonl or samples.jsonl; it goes up with the next events. */
  addLine(file: LogFile, line: string): void {
    if (this.stoppedFor) return;
    this.lines.push({ file, line });
  }

  /** A checkpoint the run wrote; uploaded before the events that follow it (its checkpoint/saved). */
  addCheckpoint(checkpoint: CheckpointPayload): void {
    if (this.stoppedFor) return;
    this.cut();
    this.tasks.push({ kind: 'checkpoint', checkpoint });
    void this.drain();
  }

  /** The tab paused or resumed the run; the server hears it with the next batch or heartbeat. */
  setPaused(paused: boolean): void {
    this.paused = paused;
    this.tick();
  }

  /**
   * Sends everything still pending and waits until it is stored. Resolves true when the server
   * holds the whole run, false when the recording stopped (see `stopped`).
   */
  async finish(): Promise<boolean> {
    this.clearTimer();
    this.cut();
    while (this.tasks.length && !this.stoppedFor) await this.drain();
    return !this.stoppedFor;
  }

  /**
   * The page is going away: the pending events, and word that the run is interrupted, in one
   * keepalive request (it outlives the page). While another request is in flight, the word goes
   * alone, as a heartbeat at seq 1 (never out of place, wherever the stream ends); the events
   * not yet sent are lost with the page, as a crash would lose them.
   */
  close(): void {
    this.clearTimer();
    if (this.stoppedFor) return;
    const busy = this.draining !== undefined || this.tasks.length > 0;
    const word = { events: [], paused: this.paused, closing: true };
    const body = busy
      ? JSON.stringify({ seq: 1, ...word })
      : JSON.stringify({ seq: this.nextSeq, events: this.pending, lines: this.lines, paused: this.paused, closing: true });
    const light = utf8Bytes(body) <= KEEPALIVE_BYTES ? body : JSON.stringify({ seq: this.nextSeq, ...word });
    this.stoppedFor = 'the page was closed';
    void this.fetch(`${this.options.origin ?? ''}/api/runs/${encodeURIComponent(this.runId)}/events`, {
      method: 'POST',
      keepalive: true,
      headers: { 'content-type': 'application/json' },
      body: light,
    }).catch(() => undefined);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    if (this.stoppedFor) return;
    const due = this.pending.length > 0 || this.paused !== this.pausedSent || Date.now() - this.lastSent >= (this.options.heartbeatMs ?? 30_000);
    if (!due || this.draining) return;
    this.cut(true);
    void this.drain();
  }

  /** Turns the pending events (and lines) into batches; with `heartbeat`, an empty one when there are none. */
  private cut(heartbeat = false): void {
    if (!this.pending.length) {
      if (heartbeat) this.tasks.push({ kind: 'events', seq: this.nextSeq, events: [], lines: [], paused: this.paused });
      return;
    }
    let lines = this.lines;
    let bytes = JSON.stringify(lines).length;
    let batch: RunEvent[] = [];
    const push = () => {
      this.tasks.push({ kind: 'events', seq: this.nextSeq, events: batch, lines, paused: this.paused });
      this.nextSeq += batch.length;
      batch = [];
      lines = [];
      bytes = 0;
    };
    for (const event of this.pending) {
      const size = JSON.stringify(event).length;
      if (batch.length && (batch.length >= BATCH_EVENTS || bytes + size > BATCH_BYTES)) push();
      batch.push(event);
      bytes += size;
    }
    push();
    this.pending = [];
    this.lines = [];
  }

  /** Sends the tasks in order, one at a time (a second call waits for the first). */
  private drain(): Promise<void> {
    this.draining ??= (async () => {
      try {
        while (this.tasks.length && !this.stoppedFor) {
          const task = this.tasks[0];
          const outcome = await this.sendWithRetries(task);
          if (task.kind === 'checkpoint') {
            if (outcome.ok) this.stored.add(task.checkpoint.name);
            else if (outcome.status === 409) this.stop(outcome.reason);
            else this.options.onCheckpointRefused?.(task.checkpoint.name, outcome.reason);
          } else if (outcome.ok) {
            this.pausedSent = task.paused;
          } else {
            this.stop(outcome.reason);
          }
          this.lastSent = Date.now();
          this.tasks.shift();
        }
      } finally {
        this.draining = undefined;
      }
    })();
    return this.draining;
  }

  private stop(reason: string): void {
    if (this.stoppedFor) return;
    this.stoppedFor = reason;
    this.clearTimer();
    this.tasks = [];
    this.pending = [];
    this.lines = [];
    this.options.onStopped?.(reason);
  }

  private async sendWithRetries(task: Task): Promise<Outcome> {
    const giveUpAt = Date.now() + (this.options.retryForMs ?? 10 * 60_000);
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.send(task);
      if (outcome.ok || !outcome.retry) return outcome;
      if (Date.now() >= giveUpAt) return { ...outcome, retry: false, reason: `${outcome.reason}, for too long` };
      // 0.5 s, 1 s, 2 s, … at most 10 s between tries.
      await new Promise((r) => setTimeout(r, Math.min(10_000, (this.options.intervalMs ?? 500) * 2 ** attempt)));
    }
  }

  private async send(task: Task): Promise<Outcome> {
    const base = `${this.options.origin ?? ''}/api/runs/${encodeURIComponent(this.runId)}`;
    let reply: Response;
    try {
      if (task.kind === 'events') {
        const { seq, events, lines, paused } = task;
        reply = await this.fetch(`${base}/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ seq, events, lines, paused }),
        });
      } else {
        reply = await this.fetch(`${base}/checkpoints?name=${encodeURIComponent(task.checkpoint.name)}`, checkpointUpload(task.checkpoint));
      }
    } catch (error) {
      return { ok: false, retry: true, reason: `the server cannot be reached (${(error as Error).message})` };
    }
    if (reply.ok) {
      await reply.body?.cancel();
      return { ok: true };
    }
    let message = `the server answered ${reply.status}`;
    try {
      const body = (await reply.json()) as { error?: unknown; errors?: { field?: string; nodeId?: string; message?: string }[] };
      if (typeof body.error === 'string') message = body.error;
      const first = Array.isArray(body.errors) ? body.errors[0] : undefined;
      if (first?.message) message += `: ${[first.field ?? first.nodeId, first.message].filter(Boolean).join(' ')}`;
    } catch {
      // not JSON: the status says enough
    }
    return { ok: false, retry: reply.status >= 500 || reply.status === 429, status: reply.status, reason: message };
  }
}
