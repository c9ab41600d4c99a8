// The problems panel: every compiler diagnostic, each a button that selects and centres the
// block (or connection) it is about.
import { formatDiagnostic } from '../engine/compiler/diagnostics';
import { studio, useStudio } from '../lib/store';

export function ProblemsPanel() {
  const diagnostics = useStudio((s) => s.diagnostics);
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  return (
    <section className="problems" data-testid="problems" aria-label="Problems">
      <header>
        <h2>Problems</h2>
        <span className={errors ? 'count bad' : 'count ok'} data-testid="problem-count">
          {diagnostics.length}
        </span>
        <span className="muted small">{diagnostics.length ? 'Click a problem to show it on the canvas.' : 'None: the pipeline compiles.'}</span>
      </header>
      <ul>
        {diagnostics.map((d, i) => (
          <li key={`${i}:${formatDiagnostic(d)}`}>
            <button type="button" className="problem" data-testid="problem" data-node-id={d.nodeId} data-edge-id={d.edgeId} onClick={() => studio.getState().focusProblem(d)}>
              <span className={`sev ${d.severity}`} aria-label={d.severity}>{d.severity === 'error' ? '✕' : '!'}</span>
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
