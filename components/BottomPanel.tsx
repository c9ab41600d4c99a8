// The panel under the canvas: two tabs, Problems (the compiler's and the server's) and Run (the
// attached run's progress, controls and charts). Starting a run switches to Run; a refused run
// switches to Problems.
import { displayState } from '../lib/run-stream';
import { runsStore, useRuns } from '../lib/runs-store';
import { samePipeline, trainedAsIs, useRunPipeline } from '../lib/run-pipelines';
import { studio, useStudio } from '../lib/store';
import { cls } from './theme';
import { useAllProblems, ProblemsPanel } from './ProblemsPanel';
import { attachRun } from './run-actions';
import { RunPanel } from './RunPanel';
import { Toasts } from './Toasts';

function RunTabLabel() {
  const state = useRuns((s) => {
    const id = s.attached;
    if (!id) return null;
    const run = s.runs[id];
    return run ? displayState(run) : (s.statuses[id]?.state ?? null);
  });
  return (
    <>
      Run
      {state && <i className={`tab-dot state-${state}`} title={state} aria-label={state} />}
    </>
  );
}

/** Says so when the canvas's blocks are not the ones the attached run trained (they show no numbers from it). */
function TrainedElsewhere({ runId }: { runId: string }) {
  const doc = useStudio((s) => s.doc);
  const trained = useRunPipeline(runId);
  if (!trained || !('doc' in trained)) return null;
  const same = samePipeline(trained.doc, doc);
  const differing = same ? doc.nodes.filter((n) => !trainedAsIs(trained.doc, n)).length : doc.nodes.length;
  if (!differing) return null;
  const text = !same
    ? `This run trained another pipeline (${trained.doc.meta.name}): the blocks show none of its numbers.`
    : `${differing} of ${doc.nodes.length} blocks differ from what this run trained: they show none of its numbers.`;
  return (
    <div className="run-elsewhere small" data-testid="run-elsewhere" title={text}>
      {text}
    </div>
  );
}

export function BottomPanel() {
  const tab = useRuns((s) => s.bottomTab);
  const attached = useRuns((s) => s.attached);
  const problems = useAllProblems();
  const errors = problems.filter((d) => d.severity === 'error').length;
  const select = (t: 'problems' | 'run') => runsStore.getState().setBottomTab(t);
  return (
    <section className={cls('bottom-panel', tab === 'run' && 'is-run')} aria-label="Problems and run">
      <header className="bottom-head" role="tablist">
        <button
          type="button"
          role="tab"
          aria-selected={tab === 'problems'}
          className={cls('tab', tab === 'problems' && 'is-active')}
          data-testid="tab-problems"
          onClick={() => select('problems')}
        >
          Problems
          <span className={errors ? 'count bad' : 'count ok'} data-testid="problem-count">
            {problems.length}
          </span>
        </button>
        <button
          type="button"
          role="tab"
          aria-selected={tab === 'run'}
          className={cls('tab', tab === 'run' && 'is-active')}
          data-testid="tab-run"
          onClick={() => select('run')}
        >
          <RunTabLabel />
        </button>
        {tab === 'problems' && problems.length > 0 && <span className="muted small bottom-hint">Click a problem to show it on the canvas.</span>}
        <Toasts />
      </header>
      {tab === 'problems' ? (
        <ProblemsPanel />
      ) : attached ? (
        <RunPanel
          key={attached}
          runId={attached}
          onClose={() => attachRun(null)}
          onFocusNode={(nodeId) => studio.getState().focusProblem({ severity: 'error', code: 'data', message: '', nodeId })}
          note={<TrainedElsewhere runId={attached} />}
        />
      ) : (
        <div className="run-panel empty" data-testid="run-panel">
          <p className="muted">
            No run yet. Press <b>▶ Run</b> in the toolbar to train this pipeline on the server; its numbers appear on the blocks and its curves here.
          </p>
        </div>
      )}
    </section>
  );
}
