// The problems list: every compiler diagnostic, plus what the server refused in the last Run or
// Export (when the browser's compiler did not already say it). Each is a button that selects and
// centres the block (or connection) it is about.
import { useMemo } from 'react';
import { formatDiagnostic, type Diagnostic, type DiagnosticCode } from '../engine/compiler/diagnostics';
import { useRuns, type SubmitProblem } from '../lib/runs-store';
import { studio, useStudio } from '../lib/store';

/** A server problem as a diagnostic (its code may be one the browser's compiler does not have). */
export function problemToDiagnostic(p: SubmitProblem): Diagnostic {
  return {
    severity: 'error',
    code: (p.code ?? 'invalid-document') as DiagnosticCode,
    message: p.message,
    ...(p.nodeId ? { nodeId: p.nodeId } : {}),
    ...(p.edgeId ? { edgeId: p.edgeId } : {}),
    ...(p.field ? { field: p.field } : {}),
  };
}

/** Diagnostics plus the server's problems that are not among them. */
export function useAllProblems(): Diagnostic[] {
  const diagnostics = useStudio((s) => s.diagnostics);
  const submitted = useRuns((s) => s.submitProblems);
  return useMemo(() => {
    if (!submitted.length) return diagnostics;
    const known = new Set(diagnostics.map(formatDiagnostic));
    return [...diagnostics, ...submitted.map(problemToDiagnostic).filter((d) => !known.has(formatDiagnostic(d)))];
  }, [diagnostics, submitted]);
}

export function ProblemsPanel() {
  const diagnostics = useAllProblems();
  return (
    <section className="problems" data-testid="problems" aria-label="Problems">
      {diagnostics.length === 0 && <p className="muted small problems-none">None: the pipeline compiles.</p>}
      <ul>
        {diagnostics.map((d, i) => (
          <li key={`${i}:${formatDiagnostic(d)}`}>
            <button
              type="button"
              className="problem"
              data-testid="problem"
              data-node-id={d.nodeId}
              data-edge-id={d.edgeId}
              onClick={() => studio.getState().focusProblem(d)}
              title="Show it on the canvas"
            >
              <span className={`sev ${d.severity}`} aria-label={d.severity}>
                {d.severity === 'error' ? '✕' : '!'}
              </span>
              <span className="where">
                {d.nodeId ?? (d.edgeId ? `edge ${d.edgeId}` : 'pipeline')}
                {d.field ? `.${d.field}` : ''}
              </span>
              <span className="message">{d.message}</span>
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
