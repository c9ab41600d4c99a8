// A run's live-edit history, runs/<id>/edits.jsonl: one EditRecord per line, written as the
// run's `run/edited` events are stored (replays of a resumed run are not new edits). A resumed run
// gets it whole, so it replays the edits made after its checkpoint at their steps.
import { appendFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunEvent } from '../../engine/events';
import type { EditRecord } from '../../engine/runtime/edits';
import { EditRecordSchema } from './messages';

export const EDITS_FILE = 'edits.jsonl';

/** Appends the new edits among `events` (synchronously: the edit is answered only after). */
export function recordEdits(runDir: string, events: readonly RunEvent[]): void {
  const lines = events.flatMap((e) => (e.type === 'run/edited' && !e.data.replayed
    ? [JSON.stringify({ step: e.step, nodeId: e.nodeId, changes: e.data.changes }) + '\n'] : []));
  if (lines.length) appendFileSync(join(runDir, EDITS_FILE), lines.join(''));
}

/** The run's edits, oldest first; a torn last line (a crash mid-write) is left out. */
export async function readEditHistory(runDir: string): Promise<EditRecord[]> {
  let text: string;
  try {
    text = await readFile(join(runDir, EDITS_FILE), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const edits: EditRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const parsed = EditRecordSchema.safeParse(JSON.parse(line));
      if (parsed.success) edits.push(parsed.data as EditRecord);
    } catch {
      // torn line
    }
  }
  return edits;
}
