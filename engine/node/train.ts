// Runs a pipeline document in this Node process: compile, open the run folder, train.
// Shared by the CLI (cli/train.ts) and the server's worker threads.
import { mkdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import { compile } from '../compiler/compile';
import type { Diagnostic } from '../compiler/diagnostics';
import type { EventSink } from '../events';
import type { Plan } from '../plan';
import type { EditRecord } from '../runtime/edits';
import { runPlan, type RunControl, type RunResult } from '../runtime/run';
import { useBackend, type BackendName } from './backend';
import { nativeGemmFor } from '../tf/nativeGemm';
import { writeFileAtomic } from './atomic-file';
import { blasThreadsFor } from './blas-threads';
import { readCheckpointFile } from './checkpoint-dir';
import { nodeIO } from './io';
import { withWandb } from './wandb';

export interface TrainOptions {
  /** The pipeline document (parsed JSON, any supported version). */
  pipeline: unknown;
  /** Run folder: pipeline.json, plan.json, train_log.jsonl, samples.jsonl, checkpoints/. */
  outDir: string;
  backend?: BackendName;
  /** Overrides the pipeline's training.steps. */
  steps?: number;
  /** Checkpoint path to continue from (file, name without extension, or a checkpoints folder). */
  resume?: string;
  /** The run's live-edit history, replayed from the resumed step (runPlan's `edits`). */
  edits?: EditRecord[];
  /** Start a resumed run's step counter and schedule at 0. */
  restartSchedule?: boolean;
  sink: EventSink;
  control?: RunControl;
  dataDir?: string;
  /** Relative dataset paths resolve against this folder. */
  baseDir?: string;
  /** When set, dataset files must lie inside these folders (servers set it; see nodeIO). */
  dataRoots?: string[];
  /** A stable id for the run (W&B resumes the run with the same id); default: the run folder's name. */
  runId?: string;
  /** Environment for W&B settings (WANDB_API_KEY, WANDB_BASE_URL, WANDB_ENTITY) and PRETRAIN_BLAS_THREADS; default process.env. */
  env?: Record<string, string | undefined>;
}

export type TrainOutcome = { compiled: false; diagnostics: Diagnostic[] } | { compiled: true; plan: Plan; result: RunResult };

/**
 * @example
 *   const outcome = await trainPipeline({ pipeline, outDir: 'runs/a', sink: { emit: console.log } });
 */
export async function trainPipeline(options: TrainOptions): Promise<TrainOutcome> {
  let document = options.pipeline;
  if (options.steps !== undefined && typeof document === 'object' && document !== null) {
    const doc = document as { training?: Record<string, unknown> };
    document = { ...doc, training: { ...doc.training, steps: options.steps } };
  }
  const compiled = compile(document);
  if (!compiled.ok) return { compiled: false, diagnostics: compiled.diagnostics };
  const { plan } = compiled;

  await mkdir(options.outDir, { recursive: true });
  // Rewritten at every (re)start: atomically, so a process killed here cannot leave a torn
  // pipeline.json that the next resume would fail to parse.
  await writeFileAtomic(join(options.outDir, 'pipeline.json'), JSON.stringify(plan.pipeline, null, 2) + '\n');
  await writeFileAtomic(join(options.outDir, 'plan.json'), JSON.stringify(plan, null, 2) + '\n');

  const backendName = await useBackend(options.backend ?? 'wasm');
  nativeGemmFor(backendName)?.setThreads?.(blasThreadsFor(plan, options.env ?? process.env, availableParallelism()));
  const resume = options.resume ? await readCheckpointFile(options.resume) : undefined;
  const io = nodeIO({ outDir: options.outDir, dataDir: options.dataDir, baseDir: options.baseDir, dataRoots: options.dataRoots });
  // When the log node turns W&B on, the logged steps also stream there.
  const sink = withWandb(plan, options.sink, { runId: options.runId ?? basename(options.outDir), env: options.env ?? process.env });
  try {
    const result = await runPlan({
      plan,
      io,
      sink,
      backendName,
      executor: 'node',
      control: options.control,
      ...(resume ? { resume: { name: resume.name, weights: resume.weights, meta: resume.meta } } : {}),
      ...(options.edits ? { edits: options.edits } : {}),
      ...(options.restartSchedule ? { restartSchedule: true } : {}),
    });
    return { compiled: true, plan, result };
  } finally {
    await sink.close();
    await io.close();
  }
}
