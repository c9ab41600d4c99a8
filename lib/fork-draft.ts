// A fork being prepared on the studio's canvas: the run and checkpoint it starts from, the
// pipeline the parent trained at that checkpoint (its live edits included) and whether the
// schedule restarts. Kept in localStorage beside the autosaved pipeline, so a reload keeps it;
// cancelled, or spent once the fork starts. Run then sends `resume: {run, checkpoint,
// restartSchedule}` (docs/api.md, Forks); a shape change is marked before that, with the check
// the server makes (engine/pipeline/shape-changes.ts).
import { useStore } from 'zustand';
import { createStore } from 'zustand/vanilla';
import type { Diagnostic } from '../engine/compiler/diagnostics';
import { modelShapeChanges, shapeChangeMessage } from '../engine/pipeline/shape-changes';
import { loadDocumentValue, type Pipeline } from './document';

export interface ForkDraft {
  /** The parent run's id and name. */
  run: string;
  runName: string;
  /** The checkpoint the fork starts from, and its step (optimizer steps done). */
  checkpoint: string;
  step: number;
  /** Start the step counter and schedule at 0 instead of the checkpoint's step. */
  restartSchedule: boolean;
  /** The pipeline the parent trained at the checkpoint: the fork's model must keep its shapes. */
  base: Pipeline;
}

/** localStorage key of the fork draft (the pipeline itself is the autosave's). */
export const FORK_KEY = 'pretrain-studio:fork';

interface ForkState {
  draft: ForkDraft | null;
  begin(draft: ForkDraft): void;
  setRestartSchedule(restart: boolean): void;
  clear(): void;
}

function persist(draft: ForkDraft | null): void {
  try {
    if (draft) localStorage.setItem(FORK_KEY, JSON.stringify(draft));
    else localStorage.removeItem(FORK_KEY);
  } catch {
    // storage full or disabled: the fork lasts until the page goes
  }
}

export const forkStore = createStore<ForkState>()((set, get) => ({
  draft: null,
  begin: (draft) => set({ draft }),
  setRestartSchedule: (restartSchedule) => {
    const { draft } = get();
    if (draft) set({ draft: { ...draft, restartSchedule } });
  },
  clear: () => set({ draft: null }),
}));
forkStore.subscribe((state, previous) => {
  if (state.draft !== previous.draft && typeof localStorage !== 'undefined') persist(state.draft);
});

/** The fork draft, for a component. */
export function useForkDraft(): ForkDraft | null {
  return useStore(forkStore, (s) => s.draft);
}

const RUN_ID = /^[0-9a-z]{13}$/;
const CHECKPOINT_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}$/;

/**
 * A stored draft read back, or null when it is missing or not one (an older or damaged entry).
 * @example parseForkDraft(localStorage.getItem(FORK_KEY))
 */
export function parseForkDraft(text: string | null): ForkDraft | null {
  if (!text) return null;
  let raw: Partial<ForkDraft>;
  try {
    raw = JSON.parse(text) as Partial<ForkDraft>;
  } catch {
    return null;
  }
  if (!raw || typeof raw.run !== 'string' || !RUN_ID.test(raw.run) || typeof raw.checkpoint !== 'string' || !CHECKPOINT_NAME.test(raw.checkpoint)) return null;
  if (typeof raw.step !== 'number' || !Number.isInteger(raw.step) || raw.step < 0) return null;
  const base = loadDocumentValue(raw.base);
  if (!base.ok) return null;
  return {
    run: raw.run,
    runName: typeof raw.runName === 'string' ? raw.runName : raw.run,
    checkpoint: raw.checkpoint,
    step: raw.step,
    restartSchedule: raw.restartSchedule === true,
    base: base.doc,
  };
}

/** At boot: the draft the studio had before the reload. */
export function restoreForkDraft(): void {
  try {
    const draft = parseForkDraft(localStorage.getItem(FORK_KEY));
    if (draft) forkStore.getState().begin(draft);
  } catch {
    // storage disabled: no draft to restore
  }
}

/**
 * What the fork cannot start with, as the compiler's diagnostics (drawn on the blocks, and Run is
 * disabled): a model field that changes the weights' shapes, or no step left to train.
 * @example forkDiagnostics(draft, doc) // [{ nodeId: 'model', field: 'd_model', message: "changes the model's parameter shapes (32 in ckpt-000020, 64 here): …" }]
 */
export function forkDiagnostics(draft: ForkDraft, doc: Pipeline): Diagnostic[] {
  const found: Diagnostic[] = modelShapeChanges(draft.base, doc).map((change) => ({
    severity: 'error',
    code: 'bad-shape',
    nodeId: change.nodeId,
    field: change.field,
    message: shapeChangeMessage(change, draft.checkpoint),
  }));
  if (!draft.restartSchedule && doc.training.steps <= draft.step) {
    found.push({
      severity: 'error',
      code: 'invalid-param',
      field: 'training.steps',
      message: `${draft.checkpoint} is at step ${draft.step} and the run trains ${doc.training.steps} steps: nothing is left to train (raise training.steps, or restart the schedule)`,
    });
  }
  return found;
}

/**
 * The pipeline a fork opens with: the checkpoint's own (`meta.pipeline`, with the parent's live
 * edits up to it), else the pipeline the run started with.
 * @example forkPipeline(meta, runPipeline) // { ok: true, doc, from: 'checkpoint' }
 */
export function forkPipeline(meta: unknown, runPipeline: unknown): { ok: true; doc: Pipeline; from: 'checkpoint' | 'run' } | { ok: false; message: string } {
  const carried = (meta as { pipeline?: unknown } | null)?.pipeline;
  if (carried !== undefined) {
    const loaded = loadDocumentValue(carried);
    if (loaded.ok) return { ok: true, doc: loaded.doc, from: 'checkpoint' };
  }
  if (runPipeline === undefined) return { ok: false, message: 'neither the checkpoint nor the run has a pipeline to open' };
  const loaded = loadDocumentValue(runPipeline);
  return loaded.ok ? { ok: true, doc: loaded.doc, from: 'run' } : { ok: false, message: `the run's pipeline does not load: ${loaded.message}` };
}

async function getJson(url: string): Promise<{ ok: true; value: unknown } | { ok: false; status: number; message: string }> {
  try {
    const reply = await fetch(url, { cache: 'no-store' });
    if (!reply.ok) {
      const body = (await reply.json().catch(() => ({}))) as { error?: unknown };
      return { ok: false, status: reply.status, message: typeof body.error === 'string' ? body.error : `the server answered ${reply.status}` };
    }
    return { ok: true, value: await reply.json() };
  } catch (error) {
    return { ok: false, status: 0, message: `the server cannot be reached (${(error as Error).message})` };
  }
}

/**
 * Reads what a fork of `run` at `checkpoint` opens with: the checkpoint's step and pipeline (the
 * run's when the checkpoint carries none) and the run's name.
 * @example const opened = await loadFork('0mx12bdyhkuvf', 'ckpt-000020'); if (opened.ok) studio.getState().loadDocument(opened.doc);
 */
export async function loadFork(run: string, checkpoint: string): Promise<{ ok: true; doc: Pipeline; draft: ForkDraft } | { ok: false; message: string }> {
  if (!RUN_ID.test(run)) return { ok: false, message: `no run ${JSON.stringify(run)}` };
  if (!CHECKPOINT_NAME.test(checkpoint)) return { ok: false, message: `no checkpoint ${JSON.stringify(checkpoint)}` };
  const base = `/api/runs/${run}`;
  const [meta, status] = await Promise.all([getJson(`${base}/checkpoints/${checkpoint}.json`), getJson(base)]);
  if (!status.ok) return { ok: false, message: status.status === 404 ? `the server has no run ${run}` : status.message };
  if (!meta.ok) return { ok: false, message: meta.status === 404 ? `run ${run} has no checkpoint ${checkpoint}` : meta.message };
  const step = (meta.value as { step?: unknown }).step;
  if (typeof step !== 'number') return { ok: false, message: `${checkpoint}'s metadata has no step` };
  const carried = (meta.value as { pipeline?: unknown }).pipeline;
  const started = carried === undefined ? await getJson(`${base}/pipeline`) : undefined;
  if (started && !started.ok) return { ok: false, message: started.message };
  const opened = forkPipeline(meta.value, started?.value);
  if (!opened.ok) return opened;
  const runName = String((status.value as { name?: unknown }).name ?? run);
  return { ok: true, doc: opened.doc, draft: { run, runName, checkpoint, step, restartSchedule: false, base: opened.doc } };
}

/** The studio's address that opens a fork of `run` at `checkpoint` (runs list, run page). */
export function forkHref(run: string, checkpoint: string): string {
  return `/?fork=${encodeURIComponent(run)}&checkpoint=${encodeURIComponent(checkpoint)}`;
}

/** The fork asked for in the studio's address (`?fork=<run>&checkpoint=<name>`), if any. */
export function forkRequest(search: string): { run: string; checkpoint: string } | null {
  const query = new URLSearchParams(search);
  const run = query.get('fork');
  const checkpoint = query.get('checkpoint');
  return run && checkpoint ? { run, checkpoint } : null;
}
