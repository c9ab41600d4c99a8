// What the run buttons do: submit the pipeline on the canvas, control the attached run, continue a
// browser checkpoint on the server, export to PyTorch. The attached run's id is remembered in
// localStorage, so a reload (or coming back from the runs page) shows the same run again.
import { fileNameFor } from '../lib/document';
import {
  browserCheckpoint,
  checkpointOnServer,
  controlBrowserRun,
  isBrowserRunHere,
  isTabOnlyRun,
  startStudioBrowserFork,
  startStudioBrowserRun,
} from '../lib/browser-runs';
import { controlRun, exportTorch, fetchExecutors, submitRun, uploadCheckpoint, type ResumeSource, type RunAction } from '../lib/run-client';
import { BROWSER_BACKENDS, type BackendPreference, type BrowserDataset } from '../engine/browser/protocol';
import { forkStore, loadFork, type ForkDraft } from '../lib/fork-draft';
import { rememberRunPipeline } from '../lib/run-pipelines';
import { runsStore, type Executor, type ExecutorsInfo, type SubmitProblem } from '../lib/runs-store';
import { studio } from '../lib/store';
import { browserRunMemoryProblems } from './memory-estimate';

/** localStorage key of the run the studio shows. */
export const RUN_KEY = 'pretrain-studio:run';

/** Shows `runId` on the studio's canvas and run panel (null: none), and remembers it. */
export function attachRun(runId: string | null): void {
  runsStore.getState().attach(runId);
  try {
    // A run in this tab only does not survive a reload: do not come back to it.
    if (runId && !isTabOnlyRun(runId)) localStorage.setItem(RUN_KEY, runId);
    else localStorage.removeItem(RUN_KEY);
  } catch {
    // storage disabled: the run is shown until the page goes
  }
}

/** localStorage key of the chosen executor and browser backend ({ executor, browserBackend }). */
export const EXECUTOR_KEY = 'pretrain-studio:executor';

/** Remembers where runs train (the choice survives a reload). */
export function chooseExecutor(choice: { executor?: Executor; browserBackend?: BackendPreference }): void {
  const runs = runsStore.getState();
  // What the server said of the last submission was said for the executor it was sent to.
  if (choice.executor && choice.executor !== runs.executor) runs.setSubmitProblems([]);
  if (choice.executor) runs.setExecutor(choice.executor);
  if (choice.browserBackend) runs.setBrowserBackend(choice.browserBackend);
  try {
    const { executor, browserBackend } = runsStore.getState();
    localStorage.setItem(EXECUTOR_KEY, JSON.stringify({ executor, browserBackend }));
  } catch {
    // storage disabled: the choice lasts until the page goes
  }
}

/** The remembered choice; Torch only once the server says it has PyTorch. */
function restoreExecutor(info: ExecutorsInfo | null): void {
  let saved: { executor?: unknown; browserBackend?: unknown } = {};
  try {
    saved = JSON.parse(localStorage.getItem(EXECUTOR_KEY) ?? '{}') ?? {};
  } catch {
    return; // unreadable: keep the defaults
  }
  const runs = runsStore.getState();
  const executor = saved.executor;
  if (executor === 'node' || executor === 'browser' || (executor === 'torch' && info?.torch?.available)) runs.setExecutor(executor);
  const backend = saved.browserBackend;
  if (typeof backend === 'string' && (backend === 'auto' || (BROWSER_BACKENDS as readonly string[]).includes(backend)))
    runs.setBrowserBackend(backend as BackendPreference);
}

/** At boot: the run the studio showed before the reload, the executors the server offers, and the one chosen last. */
export function restoreRun(): void {
  let runId: string | null = null;
  try {
    runId = localStorage.getItem(RUN_KEY);
  } catch {
    // storage disabled
  }
  if (runId) {
    runsStore.getState().attach(runId);
    runsStore.getState().setBottomTab('run');
  }
  restoreExecutor(null);
  void fetchExecutors().then((info) => {
    runsStore.getState().setExecutors(info);
    restoreExecutor(info);
  });
}

/**
 * Opens a fork of `run` at `checkpoint` on the canvas: the pipeline the run trained at that
 * checkpoint, and the fork draft (the banner; Run then starts from the checkpoint). `initial`: at
 * boot (no undo step). The run shown until now is let go: the canvas is the fork's now.
 */
export async function openFork(run: string, checkpoint: string, { initial = false } = {}): Promise<boolean> {
  const { notify, resetTo, loadDocument } = studio.getState();
  const opened = await loadFork(run, checkpoint);
  if (!opened.ok) {
    notify(`Could not fork: ${opened.message}.`, 'error');
    return false;
  }
  if (initial) resetTo(opened.doc);
  else loadDocument(opened.doc, { fit: true });
  forkStore.getState().begin(opened.draft);
  runsStore.getState().setSubmitProblems([]);
  attachRun(null);
  notify(`Forking ${opened.draft.runName} at ${checkpoint} (step ${opened.draft.step}): edit the pipeline, then ▶ Run.`);
  return true;
}

/**
 * Records the fork as a browser run and trains it in this tab from its checkpoint (the server's
 * copy), answering like submitRun; a pipeline too large for the tab is refused first.
 */
async function submitBrowserFork(resume: {
  run: string;
  checkpoint: string;
  restartSchedule?: boolean;
}): Promise<{ ok: true; id: string } | { ok: false; message: string; problems: SubmitProblem[] }> {
  const { doc, notify } = studio.getState();
  const tooLarge = browserRunMemoryProblems(doc);
  if (tooLarge.length) return { ok: false, message: tooLarge[0].message.split(';')[0], problems: tooLarge };
  const started = await startStudioBrowserFork(doc, runsStore.getState().browserBackend, doc.meta.name, resume, {
    onNotice: (message) => notify(message, 'error'),
  });
  if (!started.ok) return started;
  void started.problems.then((found) => found.length && runsStore.getState().setSubmitProblems(found));
  return { ok: true, id: started.runId };
}

/** Starts the fork on the canvas from its checkpoint; a refusal (a shape change, say) goes to the blocks, and the draft stays. */
async function startFork(draft: ForkDraft): Promise<void> {
  const { doc, notify } = studio.getState();
  const runs = runsStore.getState();
  const resume = { run: draft.run, checkpoint: draft.checkpoint, ...(draft.restartSchedule ? { restartSchedule: true } : {}) };
  const result = runs.executor === 'browser' ? await submitBrowserFork(resume) : await submitRun(doc, runs.executor, { resume });
  if (!result.ok) {
    runs.setSubmitProblems(result.problems);
    if (result.problems.length) runs.setBottomTab('problems');
    return notify(
      `Not forked: ${result.message}${result.problems[0] ? ` (${[result.problems[0].nodeId, result.problems[0].field].filter(Boolean).join('.')}: ${result.problems[0].message})` : ''}.`,
      'error',
    );
  }
  forkStore.getState().clear();
  rememberRunPipeline(result.id, doc);
  runs.setSubmitProblems([]);
  attachRun(result.id);
  runs.setBottomTab('run');
  notify(`Forked ${draft.runName} at ${draft.checkpoint}: training from step ${draft.restartSchedule ? 1 : draft.step + 1}.`);
}

/** Submits the canvas's pipeline (a fork, when one is drafted); server-side problems go to the problems panel and the blocks. */
export async function startRun(options: { data?: BrowserDataset } = {}): Promise<void> {
  const { doc, notify } = studio.getState();
  const runs = runsStore.getState();
  const fork = forkStore.getState().draft;
  if (fork) return startFork(fork);
  if (runs.executor === 'browser') {
    const tooLarge = browserRunMemoryProblems(doc);
    if (tooLarge.length) {
      runs.setSubmitProblems(tooLarge);
      runs.setBottomTab('problems');
      return notify(`Not started: ${tooLarge[0].message.split(';')[0]}.`, 'error');
    }
    const started = await startStudioBrowserRun(doc, runs.browserBackend, doc.meta.name, { onNotice: (message) => notify(message, 'error'), ...options });
    if (!started.ok) {
      runs.setSubmitProblems(started.problems);
      runs.setBottomTab('problems');
      return notify(`Not started: ${started.message}.`, 'error');
    }
    const { runId, problems, notice } = started;
    rememberRunPipeline(runId, doc);
    if (notice) notify(notice, 'error');
    runs.setSubmitProblems([]);
    attachRun(runId);
    runs.setBottomTab('run');
    void problems.then((found) => {
      if (!found.length) return;
      runsStore.getState().setSubmitProblems(found);
      runsStore.getState().setBottomTab('problems');
      notify(`Not started: the pipeline has ${found.length} problem${found.length === 1 ? '' : 's'}.`, 'error');
    });
    return;
  }
  const result = await submitRun(doc, runs.executor);
  if (result.ok) {
    rememberRunPipeline(result.id, doc);
    runs.setSubmitProblems([]);
    attachRun(result.id);
    runs.setBottomTab('run');
    return;
  }
  runs.setSubmitProblems(result.problems);
  if (result.problems.length) runs.setBottomTab('problems');
  notify(`Not started: ${result.message}.`, 'error');
}

/**
 * Continues a browser run's checkpoint on the server: starts the canvas's pipeline from it on the
 * Node executor (the run's first step is the checkpoint's + 1) and shows that run. A recorded run's
 * checkpoint is on the server already; one the server does not hold is uploaded from this tab.
 */
export async function continueOnServer(browserRunId: string, name: string, step: number): Promise<void> {
  const { doc, notify } = studio.getState();
  let resume: ResumeSource = { run: browserRunId, checkpoint: name };
  if (!checkpointOnServer(browserRunId, name)) {
    const checkpoint = browserCheckpoint(browserRunId, name);
    if (!checkpoint) return notify(`${name} is no longer kept (keep_last pruned it).`, 'error');
    const uploaded = await uploadCheckpoint(checkpoint);
    if (!uploaded.ok) return notify(`Could not upload ${name}: ${uploaded.message}.`, 'error');
    resume = { upload: uploaded.upload.id };
  }
  const result = await submitRun(doc, 'node', { resume });
  const runs = runsStore.getState();
  if (!result.ok) {
    runs.setSubmitProblems(result.problems);
    if (result.problems.some((p) => p.nodeId)) runs.setBottomTab('problems');
    return notify(`Not continued on the server: ${result.message}${result.problems[0] ? ` (${result.problems[0].message})` : ''}.`, 'error');
  }
  rememberRunPipeline(result.id, doc);
  runs.setSubmitProblems([]);
  chooseExecutor({ executor: 'node' });
  attachRun(result.id);
  runs.setBottomTab('run');
  notify(`Continuing ${name} on the server from step ${step + 1}.`);
}

/** Pause / resume / stop the attached (or given) run; a refusal becomes a toast. */
export async function runAction(action: RunAction, runId = runsStore.getState().attached): Promise<void> {
  if (!runId) return;
  // This tab trains it: the tab controls it. Once its worker has ended, a recorded run's resume
  // is the server's (it continues there from the run's last checkpoint).
  if (isBrowserRunHere(runId) && controlBrowserRun(runId, action)) return;
  if (isTabOnlyRun(runId)) {
    studio.getState().notify(`Could not ${action} the run: it is not running in this tab.`, 'error');
    return;
  }
  const error = await controlRun(runId, action);
  if (error) studio.getState().notify(`Could not ${action} the run: ${error}.`, 'error');
}

/** Downloads the canvas's pipeline as a PyTorch project (.zip). */
export async function exportTorchZip(): Promise<void> {
  const { doc, notify } = studio.getState();
  const result = await exportTorch(doc);
  if (!result.ok) {
    runsStore.getState().setSubmitProblems(result.problems);
    if (result.problems.length) runsStore.getState().setBottomTab('problems');
    notify(`Not exported: ${result.message}.`, 'error');
    return;
  }
  const url = URL.createObjectURL(result.blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = result.fileName || fileNameFor(doc.meta.name).replace(/\.json$/, '-torch.zip');
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  notify(`Exported ${link.download}: unzip it and run \`python train.py\` (or torchrun).`);
}
