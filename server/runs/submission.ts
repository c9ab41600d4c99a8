// What is submitted to start a run, and the checks it passes before the run exists: the pipeline
// compiles, its executor can run it (torch-check.ts), and the checkpoint it starts from, if any,
// can continue in it (resume-source.ts). A refused submission creates nothing.
import { compile } from '../../engine/compiler/compile';
import type { TorchInfo } from '../../engine/export/torch/launch';
import type { Plan } from '../../engine/plan';
import type { BrowserBackendPreference } from './browser-record';
import type { NodeBackend, TorchDevice } from './messages';
import type { SubmitRefusal } from './refusals';
import { checkResume, type ResumeSource, type ResumeSources, type ResumeStart } from './resume-source';
import { checkTorch, type TorchRequest } from './torch-check';

export interface Submission {
  pipeline: unknown;
  /**
   * node (default): tfjs in a worker thread; torch: the PyTorch export in a python process;
   * browser: recorded only, a tab trains it and posts its events (no worker starts).
   */
  executor?: 'node' | 'torch' | 'browser';
  /** Overrides training.steps. */
  steps?: number;
  /** node runs: the tfjs backend; browser runs: the backend the tab starts with. */
  backend?: NodeBackend | BrowserBackendPreference;
  /** torch runs: processes (torchrun when > 1) and device (default: what PyTorch finds, CUDA first). */
  torch?: TorchRequest;
  /** Start from an uploaded checkpoint (POST /api/checkpoints) or another run's, instead of from scratch. */
  resume?: ResumeSource;
  /** The sweep this run is a point of (server/sweeps/), and the point's values. */
  sweep?: { id: string; values: Record<string, string | number | boolean> };
}

/** A submission that passed: what its run is created with. */
export interface AcceptedSubmission {
  plan: Plan;
  /** The status's backend: asked for (node, browser) or what the torch settings name. */
  backend: string;
  torch?: { nproc: number; device: TorchDevice };
  /** The checkpoint the run starts from, when not from scratch. */
  start?: ResumeStart;
}

/** What checking a submission needs: where checkpoints are found, and what python's torch has. */
export interface SubmissionContext extends ResumeSources {
  torchInfo(): Promise<TorchInfo>;
}

/**
 * Compiles a submission (with its steps override) and checks that it can run: the compiler's
 * errors, what keeps a torch run from being exported, a torch executor that cannot run it, or a
 * checkpoint that cannot continue in it refuse it.
 * @example const checked = await checkSubmission({ pipeline, steps: 20 }, context); // { plan, backend: 'wasm' }
 */
export async function checkSubmission(submission: Submission, context: SubmissionContext): Promise<SubmitRefusal | AcceptedSubmission> {
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
        ...(d.field ? { field: d.field } : {}), code: d.code, message: d.message,
      })),
    };
  }
  const { plan } = compiled;
  const browser = submission.executor === 'browser';
  let torch: AcceptedSubmission['torch'];
  let backend: string = submission.backend ?? (browser ? 'auto' : 'wasm');
  if (browser && submission.resume) {
    return { error: 'a browser run cannot start from a checkpoint here', errors: [{ field: 'resume', code: 'resume', message: 'is for executors node and torch (the tab reads a checkpoint from files itself)' }] };
  }
  if (submission.executor === 'torch') {
    const checked = await checkTorch(plan, submission.torch ?? {}, () => context.torchInfo());
    if ('error' in checked) return checked;
    torch = { nproc: checked.nproc, device: checked.device };
    backend = checked.backend;
  }
  const start = submission.resume ? await checkResume(plan, submission.resume, context) : undefined;
  if (start && 'error' in start) return start;
  return { plan, backend, ...(torch ? { torch } : {}), ...(start ? { start } : {}) };
}
