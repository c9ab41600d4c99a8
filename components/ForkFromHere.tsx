// "Fork from here" wherever a run's checkpoint is shown (the checkpoint block, a run's page, the
// runs list), and what a fork's optimizer block says of the optimizer state it started with.
import { forkHref } from '../lib/fork-draft';
import { useRuns } from '../lib/runs-store';
import { openFork } from './run-actions';

/**
 * In the studio, opens the fork on the canvas at once; elsewhere, a link to the studio that opens
 * it (`/?fork=<run>&checkpoint=<name>`).
 */
export function ForkFromHere({
  runId,
  checkpoint,
  inStudio = false,
  label = '⤴ Fork from here',
  className = 'fork-link',
}: {
  runId: string;
  checkpoint: string;
  inStudio?: boolean;
  label?: string;
  className?: string;
}) {
  const title = `Open this run's pipeline as it was at ${checkpoint} on the canvas, to edit it and train on from there`;
  if (inStudio) {
    return (
      <button
        type="button"
        className={`${className} nodrag`}
        data-testid="fork-from-here"
        data-checkpoint={checkpoint}
        title={title}
        onClick={() => void openFork(runId, checkpoint)}
      >
        {label}
      </button>
    );
  }
  return (
    <a className={className} href={forkHref(runId, checkpoint)} data-testid="fork-from-here" data-checkpoint={checkpoint} title={title}>
      {label}
    </a>
  );
}

/** On a fork's optimizer block: whether the parent's optimizer state came along (status.parent.optimizerState). */
export function ForkOptimizerState({ runId }: { runId: string }) {
  const parent = useRuns((s) => (s.runs[runId]?.status ?? s.statuses[runId])?.parent);
  if (!parent?.optimizerState) return null;
  const fresh = parent.optimizerState === 'fresh';
  return (
    <div
      className="block-fork-state"
      data-testid="fork-optimizer-state"
      data-state={parent.optimizerState}
      title={
        fresh
          ? `The optimizer changed kind since ${parent.checkpoint}: its moments start from zero`
          : `Moments and step counts from ${parent.checkpoint} of run ${parent.run}`
      }
    >
      ⤴ {fresh ? 'fresh optimizer state' : 'optimizer state kept'}
    </div>
  );
}
