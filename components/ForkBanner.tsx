// The banner over the canvas while a fork is drafted (lib/fork-draft.ts): which run and step it
// starts from (linked), where its steps begin, "restart schedule", and a way out.
import Link from 'next/link';
import { forkStore, useForkDraft } from '../lib/fork-draft';
import { runsStore } from '../lib/runs-store';
import { studio } from '../lib/store';

function cancelFork(): void {
  forkStore.getState().clear();
  runsStore.getState().setSubmitProblems([]);
  studio.getState().notify('Fork cancelled: ▶ Run trains this pipeline from scratch.');
}

export function ForkBanner() {
  const draft = useForkDraft();
  if (!draft) return null;
  const first = draft.restartSchedule ? 1 : draft.step + 1;
  return (
    <div className="fork-banner" role="status" data-testid="fork-banner" data-run={draft.run} data-checkpoint={draft.checkpoint} data-step={draft.step}>
      <span className="fork-mark" aria-hidden>
        ⤴
      </span>
      <span className="fork-what">
        Fork of{' '}
        <Link href={`/runs/${draft.run}`} className="run-link" title={`Open run ${draft.run}`}>
          {draft.runName}
        </Link>{' '}
        <code className="muted">{draft.run}</code> at <b>{draft.checkpoint}</b> · step {draft.step.toLocaleString('en-US')}
        <span className="muted small"> · ▶ Run continues at step {first.toLocaleString('en-US')} from its weights</span>
      </span>
      <label className="fork-restart" title="Start the step counter and the learning-rate schedule at 0 (the weights still come from the checkpoint)">
        <input
          type="checkbox"
          data-testid="fork-restart-schedule"
          checked={draft.restartSchedule}
          onChange={(e) => forkStore.getState().setRestartSchedule(e.target.checked)}
        />
        restart schedule
      </label>
      <button
        type="button"
        className="button"
        data-testid="fork-cancel"
        onClick={cancelFork}
        title="Keep the pipeline on the canvas, but as a new run from scratch"
      >
        Cancel fork
      </button>
    </div>
  );
}
