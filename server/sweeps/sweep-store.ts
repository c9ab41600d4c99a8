// The sweeps folder, RUNS_DIR/sweeps/<id>.json: one file per sweep naming its axes and, for each
// point, the run that trains it. The runs themselves are ordinary run folders, so a sweep survives
// a restart the way its runs do.
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../../engine/node/atomic-file';
import { SweepAxis, SweepValue } from '../../engine/pipeline/sweep-definition';
import { isRunId } from '../runs/ids';

export const SweepRecord = z.object({
  /** Same shape as a run id (server/runs/ids.ts). */
  id: z.string(),
  name: z.string(),
  executor: z.string(),
  axes: z.array(SweepAxis),
  steps: z.number().int().optional(),
  createdAt: z.string(),
  /** Set by POST /api/sweeps/:id/stop. */
  stoppedAt: z.string().optional(),
  /** One per point, in grid order (first axis outermost). */
  runs: z.array(z.object({ id: z.string(), values: z.record(z.string(), SweepValue) })),
});
export type SweepRecord = z.infer<typeof SweepRecord>;

/** Sweep ids have the shape of run ids. */
export const isSweepId = isRunId;

export class SweepStore {
  constructor(readonly root: string) {}

  async save(record: SweepRecord): Promise<void> {
    await mkdir(this.root, { recursive: true });
    await writeFileAtomic(join(this.root, `${record.id}.json`), JSON.stringify(record, null, 2));
  }

  /** The sweep, or undefined when there is none (or its file cannot be read). */
  async get(id: string): Promise<SweepRecord | undefined> {
    if (!isSweepId(id)) return undefined;
    let text: string;
    try {
      text = await readFile(join(this.root, `${id}.json`), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    try {
      const parsed = SweepRecord.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  /** Every readable sweep, newest first. */
  async list(): Promise<SweepRecord[]> {
    let names: string[];
    try {
      names = await readdir(this.root);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const ids = names
      .filter((n) => n.endsWith('.json'))
      .map((n) => n.slice(0, -'.json'.length))
      .filter(isSweepId)
      .sort()
      .reverse();
    const records = await Promise.all(ids.map((id) => this.get(id)));
    return records.filter((r): r is SweepRecord => r !== undefined);
  }
}
