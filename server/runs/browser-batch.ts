// Browser runs recorded by the server (docs/api.md, "Browser runs"): the run trains in a tab, which
// posts its events in numbered batches (POST /api/runs/:id/events) and its checkpoints as it writes
// them (POST /api/runs/:id/checkpoints); browser-recording.ts stores and streams them like a
// worker's. This file holds what needs no run: the batch format and its checks, where a batch
// falls in the run's stream, and the keep_last of the run's checkpoint nodes.
import { z } from 'zod';
import { BROWSER_BACKENDS } from '../../engine/browser/protocol';
import { RunEvent } from '../../engine/events';
import type { Plan } from '../../engine/plan';

/** The backend a browser run was asked to start with; the run's `run/started` names the one it got. */
export const BrowserBackendPreference = z.enum(['auto', ...BROWSER_BACKENDS]);
export type BrowserBackendPreference = z.infer<typeof BrowserBackendPreference>;

/** Most events in one batch (the tab sends a few hundred every 500 ms at most). */
export const MAX_BATCH_EVENTS = 10_000;
/** Most log lines in one batch, and the longest line (a sample's text is the long one). */
export const MAX_BATCH_LINES = 10_000;
export const MAX_LINE_CHARS = 64 * 1024;

/** A line the run's `log` or `sample` node appended to train_log.jsonl or samples.jsonl. */
const LogLine = z.object({
  file: z.enum(['train_log.jsonl', 'samples.jsonl']),
  line: z.string().max(MAX_LINE_CHARS).refine(isJsonObjectLine, 'must be one JSON object on one line, with an integer step'),
}).strict();

/**
 * One batch from the tab. `seq` is the seq the batch's first event gets (the run's events are
 * numbered 1, 2, 3, … in the order the tab posts them), so a batch sent twice is recognised and a
 * lost one is noticed. `lines` travel with the events they came with; `paused` says whether the
 * tab's run is paused now. A batch without events is a heartbeat (the run is alive, maybe paused).
 * `closing` is the tab's last word when the page goes, so the run is interrupted at once rather
 * than when the server's patience runs out.
 */
export const EventBatch = z.object({
  seq: z.number().int().min(1),
  events: z.array(RunEvent).max(MAX_BATCH_EVENTS),
  lines: z.array(LogLine).max(MAX_BATCH_LINES).default([]),
  paused: z.boolean().optional(),
  /** The tab is going away (closed, reloaded): after this batch the run is interrupted at once. */
  closing: z.boolean().optional(),
}).strict().superRefine((batch, ctx) => {
  if (batch.lines.length && !batch.events.length) ctx.addIssue({ code: 'custom', path: ['lines'], message: 'travel with events: a batch without events is a heartbeat and carries no lines' });
  const finished = batch.events.findIndex((e) => e.type === 'run/finished');
  if (finished >= 0 && finished !== batch.events.length - 1) ctx.addIssue({ code: 'custom', path: ['events', finished], message: 'run/finished must be the batch\'s last event (nothing follows the end of a run)' });
});
export type EventBatch = z.infer<typeof EventBatch>;

/** What to do with a batch, given the seq of the run's last stored event. */
export type BatchPlace =
  | { kind: 'append' }
  /** Every event of it is stored already (a retry whose first reply was lost): store nothing. */
  | { kind: 'duplicate' }
  | { kind: 'heartbeat' }
  /** It does not start where the stream ends: refused, naming the seq expected. */
  | { kind: 'conflict'; expected: number };

/**
 * Where a batch of `count` events starting at `seq` goes in a stream that ends at `lastSeq`.
 * @example placeBatch(10, 11, 5) // { kind: 'append' }; placeBatch(10, 6, 5) // duplicate; placeBatch(10, 13, 5) // conflict, expected 11
 */
export function placeBatch(lastSeq: number, seq: number, count: number): BatchPlace {
  if (count === 0) return seq <= lastSeq + 1 ? { kind: 'heartbeat' } : { kind: 'conflict', expected: lastSeq + 1 };
  if (seq === lastSeq + 1) return { kind: 'append' };
  if (seq + count - 1 <= lastSeq) return { kind: 'duplicate' };
  return { kind: 'conflict', expected: lastSeq + 1 };
}

/**
 * How many checkpoints a browser run keeps on the server: its checkpoint nodes' `keep_last` (the
 * largest, when there are several, so none loses one it keeps). Undefined: no checkpoint node.
 */
export function keepLastOf(plan: Plan): number | undefined {
  const kept = plan.nodes.filter((n) => n.kind === 'checkpoint').map((n) => Number(n.params.keep_last));
  return kept.length ? Math.max(...kept) : undefined;
}

/** Whether `line` is one JSON object with an integer `step` (what the log and sample nodes write). */
function isJsonObjectLine(line: string): boolean {
  if (line.includes('\n')) return false;
  try {
    const value = JSON.parse(line) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) && Number.isSafeInteger((value as { step?: unknown }).step);
  } catch {
    return false;
  }
}
