'use client';
// The JSON tab: the whole pipeline in Monaco, two-way. Text that parses and validates as a
// pipeline document replaces the canvas's; anything else gets markers and the canvas keeps the
// last valid graph. Monaco and its workers come from the local monaco-editor package (no CDN).
// Client-only: loaded through next/dynamic with ssr: false (Monaco touches `window` on import).
import Editor, { loader } from '@monaco-editor/react';
import type * as Monaco from 'monaco-editor';
import { useEffect, useRef, useState } from 'react';
import type { Diagnostic } from '../engine/compiler/diagnostics';
import { documentToText, parseDocumentText, type DocumentIssue, type Pipeline } from '../lib/document';
import { locateJsonPath } from '../lib/json-locate';
import { studio, useStudio } from '../lib/store';
import { useTheme } from './theme-mode';
import { registerTestHook } from './test-hook';

type MonacoApi = typeof Monaco;

let ready: Promise<MonacoApi> | undefined;

/** Points Monaco's workers at bundled files and hands the local package to @monaco-editor/react. */
function loadMonaco(): Promise<MonacoApi> {
  ready ??= (async () => {
    // `new Worker(new URL(..., import.meta.url))` is how the bundler finds and emits each worker.
    self.MonacoEnvironment = {
      getWorker(_workerId: string, label: string) {
        switch (label) {
          case 'json':
            return new Worker(new URL('monaco-editor/language/json/json.worker.js', import.meta.url), { type: 'module' });
          case 'css':
          case 'scss':
          case 'less':
            return new Worker(new URL('monaco-editor/language/css/css.worker.js', import.meta.url), { type: 'module' });
          case 'html':
          case 'handlebars':
          case 'razor':
            return new Worker(new URL('monaco-editor/language/html/html.worker.js', import.meta.url), { type: 'module' });
          case 'typescript':
          case 'javascript':
            return new Worker(new URL('monaco-editor/language/typescript/ts.worker.js', import.meta.url), { type: 'module' });
          default:
            return new Worker(new URL('monaco-editor/editor/editor.worker.js', import.meta.url), { type: 'module' });
        }
      },
    };
    const monaco = await import('monaco-editor');
    loader.config({ monaco });
    return monaco;
  })();
  return ready;
}

/** Where a compiler diagnostic points in the document. */
function pathOf(doc: Pipeline, d: Diagnostic): (string | number)[] {
  const nodeIndex = d.nodeId === undefined ? -1 : doc.nodes.findIndex((n) => n.id === d.nodeId);
  if (d.edgeId !== undefined && (nodeIndex < 0 || d.code === 'dangling-edge')) {
    const edgeIndex = doc.edges.findIndex((e) => e.id === d.edgeId);
    if (edgeIndex >= 0) return ['edges', edgeIndex];
  }
  if (nodeIndex >= 0) {
    const node = doc.nodes[nodeIndex];
    return d.field && d.field in node.params
      ? ['nodes', nodeIndex, 'params', d.field]
      : d.field === 'type'
        ? ['nodes', nodeIndex, 'type']
        : ['nodes', nodeIndex];
  }
  return d.field ? d.field.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p)) : [];
}

function markersAt(
  model: Monaco.editor.ITextModel,
  text: string,
  items: { path: (string | number)[]; message: string }[],
  severity: Monaco.MarkerSeverity,
): Monaco.editor.IMarkerData[] {
  return items.map(({ path, message }) => {
    const span = locateJsonPath(text, path) ?? { start: 0, end: 1 };
    // A whole object is a big underline; mark its first line only.
    const end = Math.min(span.end, text.indexOf('\n', span.start) === -1 ? span.end : text.indexOf('\n', span.start));
    const a = model.getPositionAt(span.start);
    const b = model.getPositionAt(Math.max(end, span.start + 1));
    return {
      severity,
      message: path.length ? `${path.join('.')}: ${message}` : message,
      startLineNumber: a.lineNumber,
      startColumn: a.column,
      endLineNumber: b.lineNumber,
      endColumn: b.column,
    };
  });
}

type Status = { ok: true } | { ok: false; message: string };

export default function MonacoJson() {
  const [monaco, setMonaco] = useState<MonacoApi | null>(null);
  const [status, setStatus] = useState<Status>({ ok: true });
  const [mounted, setMounted] = useState(false);
  const editorRef = useRef<Monaco.editor.IStandaloneCodeEditor | null>(null);
  /** The document this editor last produced or showed: the store echoing it back is not a change. */
  const shown = useRef<Pipeline | null>(null);
  const doc = useStudio((s) => s.doc);
  const { theme } = useTheme();
  const diagnostics = useStudio((s) => s.diagnostics);

  useEffect(() => {
    let live = true;
    loadMonaco().then((m) => live && setMonaco(m));
    return () => {
      live = false;
    };
  }, []);

  // Store → editor: a change made elsewhere (canvas, inspector, undo) replaces the text.
  useEffect(() => {
    const editor = editorRef.current;
    if (!editor || doc === shown.current) return;
    shown.current = doc;
    const text = documentToText(doc);
    if (editor.getValue() !== text) editor.setValue(text);
    setStatus({ ok: true });
  }, [doc]);

  // Compiler problems as warnings at the values they are about.
  useEffect(() => {
    const editor = editorRef.current;
    const model = editor?.getModel();
    if (!monaco || !model || shown.current !== doc) return;
    const items = diagnostics.map((d) => ({ path: pathOf(doc, d), message: d.message }));
    monaco.editor.setModelMarkers(model, 'compiler', markersAt(model, model.getValue(), items, monaco.MarkerSeverity.Warning));
  }, [monaco, diagnostics, doc, mounted]);

  const onChange = (text: string | undefined) => {
    const editor = editorRef.current;
    const model = editor?.getModel();
    if (!monaco || !model || text === undefined) return;
    const result = parseDocumentText(text);
    if (!result.ok) {
      const isSyntax = result.message.startsWith('not valid JSON');
      // Monaco's JSON worker already marks syntax errors; we mark schema problems.
      monaco.editor.setModelMarkers(model, 'pipeline', isSyntax ? [] : markersAt(model, text, result.issues as DocumentIssue[], monaco.MarkerSeverity.Error));
      monaco.editor.setModelMarkers(model, 'compiler', []);
      setStatus({ ok: false, message: result.message });
      return;
    }
    monaco.editor.setModelMarkers(model, 'pipeline', []);
    setStatus({ ok: true });
    const state = studio.getState();
    if (documentToText(result.doc) === documentToText(state.doc)) {
      shown.current = state.doc;
      return;
    }
    state.loadDocument(result.doc, { merge: 'json' });
    shown.current = studio.getState().doc;
  };

  if (!monaco) return <div className="json-loading muted">Loading editor…</div>;
  return (
    <div className="json-panel">
      <div className="json-editor" data-testid="json-editor">
        <Editor
          theme={theme === 'dark' ? 'vs-dark' : 'light'}
          defaultLanguage="json"
          path="pipeline.json"
          defaultValue={documentToText(doc)}
          onMount={(editor) => {
            editorRef.current = editor;
            shown.current = studio.getState().doc;
            const text = documentToText(shown.current);
            if (editor.getValue() !== text) editor.setValue(text);
            setMounted(true);
            registerTestHook({ editorText: () => editor.getValue() });
          }}
          onChange={onChange}
          options={{
            editContext: false, // Monaco 0.57's EditContext input garbles automated typing
            minimap: { enabled: false },
            fontSize: 12,
            lineNumbersMinChars: 3,
            tabSize: 2,
            scrollBeyondLastLine: false,
            automaticLayout: true,
            renderLineHighlight: 'line',
            fixedOverflowWidgets: true,
            wordWrap: 'on',
          }}
        />
      </div>
      <div className={status.ok ? 'json-status ok' : 'json-status bad'} data-testid="json-status" role="status">
        {status.ok ? 'Valid pipeline: edits here update the canvas.' : `${status.message}. The canvas keeps the last valid graph.`}
      </div>
    </div>
  );
}
