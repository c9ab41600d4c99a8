// Sweeps on the server: a sweep is checked whole (every point compiled) before anything runs, then
// each point is submitted as an ordinary run tagged with its sweep and values, so the queue
// (MAX_CONCURRENT_RUNS), restarts and resumes treat them like any run. A browser sweep's points are
// browser runs that wait (`queued`) for the tab that launched the sweep, which trains them one after
// another and records each like any browser run. A sweep's state and its points' best validation
// loss are read from its runs when asked.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExecutorName } from '../../engine/executors';
import { summarizeLog, type LogSummary } from '../../engine/sweep/log-summary';
import { expandSweep, type SweepAxis, type SweepError, type SweepValue } from '../../engine/sweep/sweep';
import { isRecording } from '../runs/browser-recording';
import { newRunId } from '../runs/ids';
import type { RunManager, SubmitRefusal } from '../runs/manager';
import type { RunState } from '../runs/run-folders';
import { SweepStore, type SweepRecord } from './sweep-store';

export interface SweepRequest {
  pipeline: unknown;
  executor: ExecutorName;
  axes: SweepAxis[];
  /** Overrides training.steps for every point. */
  steps?: number;
}

export type SweepState = 'running' | 'completed' | 'stopped' | 'interrupted' | 'failed';

export interface SweepPointSummary extends Omit<LogSummary, 'step'> {
  id: string;
  values: Record<string, SweepValue>;
  state: RunState | 'missing';
  step: number;
  totalSteps?: number;
}

export interface SweepSummary extends Omit<SweepRecord, 'runs'> {
  state: SweepState;
  runs: SweepPointSummary[];
}

export type SweepRefusal = { error: string; errors: (SweepError | SubmitRefusal['errors'][number])[] };

const ACTIVE: readonly string[] = ['queued', 'running', 'paused'];

export class Sweeps {
  readonly store: SweepStore;

  constructor(private readonly manager: RunManager) {
    this.store = new SweepStore(join(manager.store.root, 'sweeps'));
  }

  /** Checks and launches a sweep; nothing runs unless every point compiles and the first is accepted. */
  async create(request: SweepRequest): Promise<{ id: string; runs: string[] } | SweepRefusal> {
    const expanded = expandSweep(request.pipeline, request.axes);
    if (!expanded.ok) return { error: 'the sweep is invalid', errors: expanded.errors };
    const id = newRunId();
    const runs: SweepRecord['runs'] = [];
    for (const point of expanded.points) {
      const submitted = await this.manager.submit({
        pipeline: point.pipeline,
        executor: request.executor,
        steps: request.steps,
        sweep: { id, values: point.values },
      });
      if ('error' in submitted) {
        for (const run of runs) this.stopQuietly(run.id);
        return submitted;
      }
      runs.push({ id: submitted.id, values: point.values });
    }
    const name = String((request.pipeline as { meta?: { name?: unknown } }).meta?.name ?? 'Untitled pipeline');
    await this.store.save({
      id,
      name,
      executor: request.executor,
      axes: request.axes,
      createdAt: new Date().toISOString(),
      runs,
      ...(request.steps !== undefined ? { steps: request.steps } : {}),
    });
    return { id, runs: runs.map((r) => r.id) };
  }

  async get(id: string): Promise<SweepSummary | undefined> {
    const record = await this.store.get(id);
    return record && this.summarize(record);
  }

  async list(): Promise<SweepSummary[]> {
    return Promise.all((await this.store.list()).map((r) => this.summarize(r)));
  }

  /**
   * Stops every point still queued, running or paused; finished points keep their results. A
   * browser point its tab trains is asked to stop there (it ends when the tab says so).
   */
  async stop(id: string): Promise<SweepSummary | undefined> {
    const record = await this.store.get(id);
    if (!record) return undefined;
    for (const run of record.runs) this.stopQuietly(run.id);
    record.stoppedAt ??= new Date().toISOString();
    await this.store.save(record);
    return this.summarize(record);
  }

  private stopQuietly(runId: string): void {
    const status = this.manager.get(runId);
    if (!status || !ACTIVE.includes(status.state)) return;
    if (isRecording(status)) this.manager.askTabToStop(runId);
    else this.manager.stop(runId);
  }

  private async summarize(record: SweepRecord): Promise<SweepSummary> {
    const runs = await Promise.all(
      record.runs.map(async ({ id, values }): Promise<SweepPointSummary> => {
        const status = this.manager.get(id);
        if (!status) return { id, values, state: 'missing', step: 0 };
        const log = await this.readLog(id);
        return { ...log, id, values, state: status.state, step: status.step, totalSteps: status.totalSteps };
      }),
    );
    const { runs: _, ...rest } = record;
    return {
      ...rest,
      state: sweepState(
        record,
        runs.map((r) => r.state),
      ),
      runs,
    };
  }

  private async readLog(id: string): Promise<Omit<LogSummary, 'step'>> {
    try {
      const { step: _, ...summary } = summarizeLog(await readFile(join(this.manager.store.dir(id), 'train_log.jsonl'), 'utf8'));
      return summary;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw e;
    }
  }
}

/** running while any point may still train; else what became of the points, worst first. */
function sweepState(record: SweepRecord, states: (RunState | 'missing')[]): SweepState {
  if (states.some((s) => ACTIVE.includes(s))) return 'running';
  if (record.stoppedAt) return 'stopped';
  if (states.every((s) => s === 'completed')) return 'completed';
  if (states.some((s) => s === 'interrupted' || s === 'stopped')) return 'interrupted';
  return 'failed';
}
