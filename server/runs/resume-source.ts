// Where a submitted run starts from when not from scratch: an uploaded checkpoint (uploads.ts) or
// one in another run's checkpoints/. It is checked against the run's plan here; the manager then
// copies it into the run's own checkpoints/ at submission, so the run starts, and later resumes,
// as if it had saved it itself.
import { directoryCheckpointStore } from '../../engine/node/checkpoint-dir';
import type { Plan } from '../../engine/plan';
import { shapeChanges } from './fork';
import { isRunId } from './ids';
import type { SubmitError, SubmitRefusal } from './refusals';
import type { RunFolders } from './run-folders';
import { checkCheckpoint, checkpointFitsPlan, UploadError, type LoadedUpload, type UploadStore } from './uploads';

/** A checkpoint a run starts from: an upload, or one in another run's checkpoints/. */
export type ResumeSource = ({ upload: string } | { run: string; checkpoint: string }) & {
  /** Start the step counter and schedule at 0 instead of the checkpoint's step. */
  restartSchedule?: boolean;
};

/** A checkpoint that can start a run, and where it came from (the run's `resumedFrom`). */
export type ResumeStart = LoadedUpload & { origin: { upload: string } | { run: string } };

/** Where checkpoints to start from are found. */
export interface ResumeSources {
  uploads: UploadStore;
  store: RunFolders;
  /** Whether the server knows run `id`. */
  hasRun(id: string): boolean;
}

/**
 * The checkpoint a submission starts from (an upload, or another run's), if it exists and can
 * continue in `plan`: a step before the plan's last, and model weights of the model's names and
 * shapes.
 * @example const start = await checkResume(plan, { upload: id }, sources); // a SubmitRefusal, or { info, checkpoint, origin }
 */
export async function checkResume(plan: Plan, resume: ResumeSource, sources: ResumeSources): Promise<SubmitRefusal | ResumeStart> {
  const refuse = (errors: SubmitError[]): SubmitRefusal => ({ error: 'the checkpoint cannot continue in this pipeline', errors });
  let upload: LoadedUpload | undefined;
  const field = 'upload' in resume ? 'resume.upload' : 'resume.checkpoint';
  const what = 'upload' in resume ? `the uploaded checkpoint ${resume.upload}` : `run ${resume.run}'s checkpoint ${resume.checkpoint}`;
  try {
    upload = 'upload' in resume ? await sources.uploads.load(resume.upload) : await loadRunCheckpoint(sources, resume.run, resume.checkpoint);
  } catch (e) {
    if (!(e instanceof UploadError)) throw e;
    return refuse([{ field, code: 'resume', message: `${what} is damaged: ${e.message}` }]);
  }
  if (!upload) {
    return refuse([{
      field, code: 'resume',
      message: 'upload' in resume ? `no uploaded checkpoint ${JSON.stringify(resume.upload)} (upload one with POST /api/checkpoints)`
        : !isRunId(resume.run) || !sources.hasRun(resume.run) ? `no run ${JSON.stringify(resume.run)}` : `run ${resume.run} has no checkpoint ${JSON.stringify(resume.checkpoint)}`,
    }]);
  }
  const { step } = upload.info;
  if (plan.totalSteps <= step && !resume.restartSchedule) {
    return refuse([{ field: 'steps', code: 'resume', message: `${upload.info.name} is at step ${step} and the run trains ${plan.totalSteps} steps: nothing is left to train (raise training.steps)` }]);
  }
  const misfits = checkpointFitsPlan(plan, upload.checkpoint);
  const fields = misfits.length ? shapeChanges(plan, upload.checkpoint, misfits) : [];
  if (fields.length) return refuse(fields);
  if (misfits.length) return refuse(misfits.map((m) => ({ nodeId: m.nodeId, code: 'resume', message: m.message })));
  return { ...upload, origin: 'upload' in resume ? { upload: resume.upload } : { run: resume.run } };
}

/** A complete checkpoint of a known run, checked like an upload; undefined when there is none. */
async function loadRunCheckpoint(sources: ResumeSources, runId: string, name: string): Promise<LoadedUpload | undefined> {
  if (!isRunId(runId) || !sources.hasRun(runId)) return undefined;
  const store = directoryCheckpointStore(sources.store.checkpointsDir(runId));
  const entry = (await store.list()).find((e) => e.name === name);
  if (!entry) return undefined;
  const { weights, meta } = await store.load(entry.name);
  const checkpoint = checkCheckpoint(weights, meta, entry.name);
  const executor = (checkpoint.meta as { executor?: unknown }).executor;
  return { info: { id: runId, name: entry.name, step: checkpoint.meta.step, bytes: entry.bytes, ...(typeof executor === 'string' ? { executor } : {}) }, checkpoint };
}
