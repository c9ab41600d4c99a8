// A run's answered prompts, runs/<id>/prompts.jsonl: one PromptRecord per line, appended when
// POST /api/runs/:id/sample answers (live or from a checkpoint, whichever executor), so the answers
// stay listed under the sample block and on the run's page after a reload.
import { appendFile, open } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { PromptRecord } from '../../engine/runtime/ask';

export const PROMPTS_FILE = 'prompts.jsonl';
/** GET /api/runs/:id/prompts lists the newest 100 unless asked for up to this many. */
export const MAX_LISTED_PROMPTS = 1000;
export const DEFAULT_LISTED_PROMPTS = 100;
/** Only the file's last bytes are read: enough for MAX_LISTED_PROMPTS answers of usual length. */
const TAIL_BYTES = 8 << 20;

const PromptLine = z.object({
  prompt: z.string(),
  settings: z.object({ max_new_tokens: z.number().int(), temperature: z.number(), top_k: z.number().int() }),
  text: z.string(),
  step: z.number().int().nonnegative(),
  checkpoint: z.string().nullable(),
  time: z.string(),
});

/** Appends one answer to the run's prompts.jsonl. */
export async function recordPrompt(runDir: string, record: PromptRecord): Promise<void> {
  await appendFile(join(runDir, PROMPTS_FILE), JSON.stringify(record) + '\n');
}

/**
 * The run's newest `limit` answers, oldest first; a torn last line (a crash mid-write) and lines
 * that are not answers are left out.
 * @example await readPrompts('runs/0mx12bdyhkuvf', 20) // [{ prompt: 'The ', text: 'The man …', step: 40, … }]
 */
export async function readPrompts(runDir: string, limit = DEFAULT_LISTED_PROMPTS): Promise<PromptRecord[]> {
  let text: string;
  try {
    const handle = await open(join(runDir, PROMPTS_FILE), 'r');
    try {
      const { size } = await handle.stat();
      const start = Math.max(0, size - TAIL_BYTES);
      const bytes = Buffer.alloc(size - start);
      await handle.read(bytes, 0, bytes.length, start);
      text = bytes.toString('utf8');
      if (start > 0) text = text.slice(text.indexOf('\n') + 1); // the first line read may be cut
    } finally {
      await handle.close();
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const records: PromptRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const parsed = PromptLine.safeParse(JSON.parse(line));
      if (parsed.success) records.push(parsed.data);
    } catch {
      // torn line
    }
  }
  return records.slice(-limit);
}
