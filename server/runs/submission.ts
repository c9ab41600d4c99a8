// What is submitted to start a run, and the checks it passes before the run exists: the pipeline
// compiles, its executor can run it (executors/), the checkpoint it starts from, if any, can
// continue in it (resume-source.ts), and its estimated memory fits the server's budget
// (memory-budget.ts). A refused submission creates nothing.
import { compile } from '../../engine/compiler/compile';
import type { Plan } from '../../engine/plan';
import type { ExecutorServer, ServerExecutor } from './executors/executor';
import { checkRunMemory } from './memory-budget';
import type { SubmitRefusal } from './refusals';
import type { RunStatus } from './run-folders';
import { checkResume, type ResumeSource, type ResumeSources, type ResumeStart } from './resume-source';

export interface Submission {
  pipeline: unknown;
  /**
   * node (default): tfjs in a worker thread; torch: the PyTorch export in a python process;
   * browser: recorded only, a tab trains it and posts its events (no worker starts).
   */
  executor?: string;
  /** Overrides training.steps. */
  steps?: number;
  /** node runs: the tfjs backend; browser runs: the backend the tab starts with. */
  backend?: string;
  /** Start from an uploaded checkpoint (POST /api/checkpoints) or another run's, instead of from scratch. */
  resume?: ResumeSource;
  /** The sweep this run is a point of (server/sweeps/), and the point's values. */
  sweep?: { id: string; values: Record<string, string | number | boolean> };
  /** An executor's own settings, under its name: torch runs' `torch: { nproc, device }`. */
  [executorSettings: string]: unknown;
}

/** A submission that passed: what its run is created with. */
export interface AcceptedSubmission {
  plan: Plan;
  /** The status's backend: asked for (node, browser) or what the torch settings name. */
  backend: string;
  /** What else the executor puts in the run's status (a torch run's processes and device). */
  status?: Partial<RunStatus>;
  /** The checkpoint the run starts from, when not from scratch. */
  start?: ResumeStart;
}

/** What checking a submission needs: where checkpoints are found, and what the executors are lent. */
export interface SubmissionContext extends ResumeSources {
  server: ExecutorServer;
  /** Bytes one run may take on this server (MAX_RUN_MEMORY); runs that train in a tab are not held to it. */
  memoryBudget: number;
}

/**
 * Compiles a submission (with its steps override) and checks that it can run: the compiler's
 * errors, what keeps its executor from running it (a torch run's export, python's torch), an
 * estimated memory above the budget, or a checkpoint that cannot continue in it refuse it.
 * @example const checked = await checkSubmission({ pipeline, steps: 20 }, nodeExecutor, context); // { plan, backend: 'wasm' }
 */
export async function checkSubmission(submission: Submission, executor: ServerExecutor, context: SubmissionContext): Promise<SubmitRefusal | AcceptedSubmission> {
  let document = submission.pipeline;
  if (submission.steps !== undefined && typeof document === 'object' && document !== null && !Array.isArray(document)) {
    const doc = document as { training?: Record<string, unknown> };
    document = { ...doc, training: { ...doc.training, steps: submission.steps } };
  }
  const compiled = compile(document);
  if (!compiled.ok) {
    return {
      error: 'the pipeline has errors',
      errors: compiled.diagnostics.filter((d) => d.severity === 'error').map((d) => ({
        ...(d.nodeId ? { nodeId: d.nodeId } : {}), ...(d.edgeId ? { edgeId: d.edgeId } : {}),
        ...(d.field ? { field: d.field } : {}), ...(d.innerNodeId ? { innerNodeId: d.innerNodeId } : {}), code: d.code, message: d.message,
      })),
    };
  }
  const { plan } = compiled;
  const ask = { backend: submission.backend, settings: submission[executor.name], resume: submission.resume !== undefined };
  const accepted = await executor.accept(plan, ask, context.server);
  if ('error' in accepted) return accepted;
  if (executor.trainsIn === 'server') {
    const tooLarge = checkRunMemory(plan, executor.name === 'torch' ? 'torch' : 'node', accepted.backend, context.memoryBudget);
    if (tooLarge) return tooLarge;
  }
  const start = submission.resume ? await checkResume(plan, submission.resume, context) : undefined;
  if (start && 'error' in start) return start;
  return { plan, ...accepted, ...(start ? { start } : {}) };
}
