// Fan-out of run events to watchers, independent of the transport (socket.ts adapts it to
// socket.io). A watcher first gets the run's history after the seq it already has, then live
// events, with no gap and no duplicate:
//   - every watcher has a cursor (the last seq it was sent) and is only ever sent seq > cursor;
//   - while its history is read from events.jsonl (async), live flushes skip it; afterwards, in
//     one synchronous step, it gets the recent in-memory events the file read did not reach, and
//     joins the live flushes;
//   - events are published here only once events.jsonl has them, so history never lacks an
//     event a watcher saw live, even if the server dies.
// Live events are sent in batches every `flushMs` (100 ms), which keeps streaming cheap however
// fast steps are; watchers that are all up to date get one broadcast (encoded once by socket.io).
import type { WireEvent } from './run-folders';

/** Reads a run's stored events with seq > after, in order. */
export type HistoryReader = (runId: string, after: number) => AsyncIterable<WireEvent[]>;

/** Receives batches of events, in seq order. */
export type BatchSender = (events: WireEvent[]) => void;

/** Sends one batch to several watchers at once, named by the `target` they were watched with. */
export type Broadcaster = (runId: string, targets: string[], events: WireEvent[]) => void;

interface Watcher {
  send: BatchSender;
  target?: string;
  cursor: number;
  replaying: boolean;
  closed: boolean;
}

interface Channel {
  lastSeq: number;
  /** The newest published events (at most RECENT), for watchers finishing their replay. */
  recent: WireEvent[];
  /** Published since the last flush. */
  pending: WireEvent[];
  watchers: Set<Watcher>;
}

const RECENT = 20_000;

export class EventHub {
  private channels = new Map<string, Channel>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private broadcaster: Broadcaster | undefined;

  constructor(private readonly readHistory: HistoryReader, private readonly flushMs = 100) {}

  /** Lets live batches go out as one broadcast to every up-to-date watcher that has a target. */
  useBroadcaster(broadcaster: Broadcaster): void {
    this.broadcaster = broadcaster;
  }

  /** Declares a run and the seq of its last stored event (at startup, or when a run is created). */
  open(runId: string, lastSeq: number): void {
    const channel = this.channels.get(runId);
    if (channel) channel.lastSeq = Math.max(channel.lastSeq, lastSeq);
    else this.channels.set(runId, { lastSeq, recent: [], pending: [], watchers: new Set() });
  }

  /**
   * The run's events are all stored and no more are coming for now (its run ended): drop the
   * in-memory window, so a server that has run many runs does not hold every run's last events.
   * Watchers that join later read everything from the file.
   */
  settle(runId: string): void {
    const channel = this.channels.get(runId);
    if (channel) channel.recent = [];
  }

  /** Events held in memory across all runs (the recent windows), for tests and diagnostics. */
  get held(): number {
    let n = 0;
    for (const channel of this.channels.values()) n += channel.recent.length;
    return n;
  }

  lastSeq(runId: string): number | undefined {
    return this.channels.get(runId)?.lastSeq;
  }

  /** New events of a run, already stored, numbered lastSeq + 1, lastSeq + 2, ... */
  publish(runId: string, events: WireEvent[]): void {
    const channel = this.channels.get(runId);
    if (!channel || !events.length) return;
    channel.lastSeq = events[events.length - 1].seq;
    channel.recent.push(...events);
    if (channel.recent.length > RECENT) channel.recent.splice(0, channel.recent.length - RECENT);
    if (channel.watchers.size) channel.pending.push(...events);
    if (channel.pending.length) this.timer ??= setTimeout(() => this.flush(), this.flushMs);
  }

  /**
   * Starts sending `runId`'s events after seq `after` to `send`: history first, then live.
   * `ready` resolves once the history is sent. Rejects (synchronously) an unknown run.
   */
  watch(runId: string, after: number, send: BatchSender, target?: string): { ready: Promise<void>; close(): void } {
    const channel = this.channels.get(runId);
    if (!channel) throw new Error(`no run ${runId}`);
    const watcher: Watcher = { send, target, cursor: Math.max(0, after), replaying: true, closed: false };
    channel.watchers.add(watcher);
    const close = () => {
      watcher.closed = true;
      channel.watchers.delete(watcher);
    };
    return { ready: this.replay(channel, runId, watcher), close };
  }

  /** Sends pending events to every watcher that is live. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const [runId, channel] of this.channels) {
      if (!channel.pending.length) continue;
      const batch = channel.pending;
      channel.pending = [];
      const first = batch[0].seq;
      const last = batch[batch.length - 1].seq;
      const targets: string[] = [];
      for (const watcher of channel.watchers) {
        if (watcher.replaying) continue;
        if (this.broadcaster && watcher.target !== undefined && watcher.cursor === first - 1) {
          targets.push(watcher.target);
          watcher.cursor = last;
        } else {
          sendAfter(watcher, batch);
        }
      }
      if (targets.length) this.broadcaster!(runId, targets, batch);
    }
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const channel of this.channels.values()) channel.watchers.clear();
  }

  private async replay(channel: Channel, runId: string, watcher: Watcher): Promise<void> {
    try {
      for (let attempt = 0; ; attempt++) {
        for await (const batch of this.readHistory(runId, watcher.cursor)) {
          if (watcher.closed) return;
          sendAfter(watcher, batch);
        }
        if (watcher.closed) return;
        // Synchronous from here: nothing can be published until this watcher is live.
        const oldest = channel.recent[0]?.seq ?? channel.lastSeq + 1;
        if (watcher.cursor >= channel.lastSeq || oldest <= watcher.cursor + 1) {
          sendAfter(watcher, channel.recent);
          watcher.cursor = Math.max(watcher.cursor, channel.lastSeq);
          watcher.replaying = false;
          return;
        }
        // The file read ended before the in-memory window starts (a very fast run): read again.
        if (attempt > 50) throw new Error(`cannot catch up with run ${runId}'s events`);
        await new Promise((r) => setTimeout(r, 10));
      }
    } catch (e) {
      watcher.closed = true;
      channel.watchers.delete(watcher);
      throw e;
    }
  }
}

/** Sends the events of `batch` the watcher does not have yet and moves its cursor. */
function sendAfter(watcher: Watcher, batch: WireEvent[]): void {
  let first = 0;
  while (first < batch.length && batch[first].seq <= watcher.cursor) first++;
  if (first === batch.length) return;
  const events = first ? batch.slice(first) : batch;
  watcher.cursor = events[events.length - 1].seq;
  watcher.send(events);
}
