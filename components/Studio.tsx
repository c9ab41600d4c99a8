'use client';
// The studio page: toolbar, palette, canvas, inspector/JSON, problems and run. Client-only (it
// reads localStorage and the URL hash before the first paint). Also home to the app-wide effects:
// boot (a fork asked for by the address > share link > autosave > seed; the run shown and the fork
// drafted before a reload), live validation, autosave and keyboard shortcuts.
import { ReactFlowProvider } from '@xyflow/react';
import { useEffect, useMemo, useRef, useState } from 'react';
import { compile } from '../engine/compiler/compile';
import { documentToText, loadDocumentValue, parseDocumentText } from '../lib/document';
import { forkDiagnostics, forkRequest, restoreForkDraft, useForkDraft } from '../lib/fork-draft';
import { dropConnection } from '../lib/run-client';
import { runsStore, useRuns } from '../lib/runs-store';
import { decodeShare, isShareHash } from '../lib/share';
import { studio, useStudio } from '../lib/store';
import { BottomPanel } from './BottomPanel';
import { Canvas } from './Canvas';
import { ModelCanvas } from './ModelCanvas';
import { DatasetBlockDrop } from './DatasetBlockDrop';
import { isTypingTarget } from './files';
import { ForkBanner } from './ForkBanner';
import { LiveRunContext } from './live-run';
import { Palette } from './Palette';
import { RightPanel } from './RightPanel';
import { openFork, restoreRun } from './run-actions';
import { registerTestHook } from './test-hook';
import { saveDocument, Toolbar } from './Toolbar';

/** localStorage key of the autosaved pipeline. */
export const AUTOSAVE_KEY = 'pretrain-studio:pipeline';
const VALIDATE_DELAY_MS = 200;
const AUTOSAVE_DELAY_MS = 300;

/** Loads the pipeline in a share hash; on success the hash is dropped so edits don't contradict it. */
async function openShareHash(initial: boolean): Promise<boolean> {
  const { notify, resetTo, loadDocument } = studio.getState();
  const hash = location.hash;
  history.replaceState(null, '', location.pathname + location.search);
  try {
    const result = loadDocumentValue(await decodeShare(hash));
    if (!result.ok) throw new Error(result.message);
    if (initial) resetTo(result.doc);
    else loadDocument(result.doc, { fit: true });
    notify(`Opened the shared pipeline “${result.doc.meta.name}”.`);
    return true;
  } catch (error) {
    notify(`Could not open the shared link: ${(error as Error).message}.`, 'error');
    return false;
  }
}

async function boot(): Promise<void> {
  restoreForkDraft();
  const fork = forkRequest(location.search);
  if (fork) {
    // Once opened, the fork lives in the draft and the autosave: a reload must not open it again.
    history.replaceState(null, '', location.pathname + location.hash);
    if (await openFork(fork.run, fork.checkpoint, { initial: true })) return;
  }
  if (isShareHash(location.hash) && (await openShareHash(true))) return;
  const saved = localStorage.getItem(AUTOSAVE_KEY);
  if (saved) {
    const result = parseDocumentText(saved);
    if (result.ok) return studio.getState().resetTo(result.doc);
  }
  // First visit (or an unreadable autosave): the seed pipeline the store starts with.
}

/** Compiles the document a moment after each change (and checks a drafted fork against its checkpoint); problems go to the store. */
function useValidation() {
  const doc = useStudio((s) => s.doc);
  const fork = useForkDraft();
  useEffect(() => {
    const timer = setTimeout(() => {
      let diagnostics;
      try {
        diagnostics = [...compile(doc).diagnostics, ...(fork ? forkDiagnostics(fork, doc) : [])];
      } catch (error) {
        // compile() throws only on bugs; still, say so rather than show a stale "no problems".
        diagnostics = [{ severity: 'error' as const, code: 'invalid-document' as const, message: `the compiler failed: ${(error as Error).message}` }];
      }
      studio.getState().setDiagnostics(diagnostics);
    }, VALIDATE_DELAY_MS);
    return () => clearTimeout(timer);
  }, [doc, fork]);
}

function useAutosave() {
  const doc = useStudio((s) => s.doc);
  useEffect(() => {
    const save = () => {
      try {
        localStorage.setItem(AUTOSAVE_KEY, documentToText(doc));
      } catch {
        // storage full or disabled: autosave is a comfort, not a promise
      }
    };
    const timer = setTimeout(save, AUTOSAVE_DELAY_MS);
    window.addEventListener('pagehide', save);
    return () => {
      clearTimeout(timer);
      window.removeEventListener('pagehide', save);
    };
  }, [doc]);
}

/** The server's refusal of the last Run is about the document as it was: an edit clears it. */
function useClearSubmitProblems() {
  const doc = useStudio((s) => s.doc);
  const first = useRef(doc);
  useEffect(() => {
    if (doc !== first.current && runsStore.getState().submitProblems.length) runsStore.getState().setSubmitProblems([]);
  }, [doc]);
}

function useShortcuts() {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (isTypingTarget(e.target)) return;
      const s = studio.getState();
      const mod = e.ctrlKey || e.metaKey;
      const key = e.key.toLowerCase();
      let handled = true;
      if (mod && key === 'z' && !e.shiftKey) s.undo();
      else if (mod && ((key === 'z' && e.shiftKey) || key === 'y')) s.redo();
      else if (mod && key === 'c') handled = s.copySelection();
      else if (mod && key === 'v') s.paste();
      else if (mod && key === 'a') s.selectAll();
      else if (mod && key === 'g') s.groupSelection();
      else if (mod && key === 's') saveDocument();
      else if (!mod && (key === 'delete' || key === 'backspace')) s.removeSelection();
      else if (!mod && e.key === '?') s.setHelpOpen(!s.helpOpen);
      else if (key === 'escape') {
        s.setHelpOpen(false);
        s.select({ nodes: [], edges: [] });
      } else handled = false;
      if (handled) e.preventDefault();
    };
    const onHash = () => isShareHash(location.hash) && void openShareHash(false);
    window.addEventListener('keydown', onKey);
    window.addEventListener('hashchange', onHash);
    return () => {
      window.removeEventListener('keydown', onKey);
      window.removeEventListener('hashchange', onHash);
    };
  }, []);
}

function Workspace() {
  useValidation();
  useAutosave();
  useShortcuts();
  useClearSubmitProblems();
  const runId = useRuns((s) => s.attached);
  // The opened model block, while the document still has it (a new document shows its pipeline).
  const openModel = useStudio((s) => (s.modelView && s.doc.nodes.some((n) => n.id === s.modelView!.modelId) ? s.modelView.modelId : null));
  const live = useMemo(() => ({ runId, editing: true }), [runId]);
  return (
    <ReactFlowProvider>
      <LiveRunContext.Provider value={live}>
        <div className="studio">
          <Toolbar />
          <Palette />
          <main className="canvas-area">
            {openModel ? <ModelCanvas key={openModel} modelId={openModel} /> : <Canvas />}
            <DatasetBlockDrop />
            {/* Inside the model the breadcrumb holds the top edge; the banner is back with the pipeline. */}
            {!openModel && <ForkBanner />}
          </main>
          <RightPanel />
          <BottomPanel />
        </div>
      </LiveRunContext.Provider>
    </ReactFlowProvider>
  );
}

export default function Studio() {
  const [ready, setReady] = useState(false);
  useEffect(() => {
    registerTestHook({
      documentText: () => documentToText(studio.getState().doc),
      runSteps: () => {
        const id = runsStore.getState().attached;
        return id ? [...(runsStore.getState().runs[id]?.charts.step ?? [])] : [];
      },
      dropConnection,
    });
    restoreRun();
    boot().finally(() => setReady(true));
  }, []);
  return ready ? <Workspace /> : <div className="boot muted">Loading the studio…</div>;
}
