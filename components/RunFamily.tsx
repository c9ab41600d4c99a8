'use client';
// A run's lineage on its page: the run it was forked from (linked, with the checkpoint, the step
// and what the fork changed, from GET /api/runs/:id/diff), a link comparing the two and a toggle
// drawing the parent's curves on the page's charts; and the runs forked from it.
import Link from 'next/link';
import { useEffect, useMemo, useState } from 'react';
import { childrenOf, fetchForkLabel } from '../lib/lineage';
import type { RunStatus } from '../lib/run-stream';
import { useRuns } from '../lib/runs-store';

/** The fork's label ("scheduler.lr 0.003 → 0.001 @ step 20"), once the diff has come. */
function useForkLabel(runId: string, step: number | undefined): string | undefined {
  const [label, setLabel] = useState<string>();
  useEffect(() => {
    if (step === undefined) return;
    let live = true;
    void fetchForkLabel(runId, step).then((found) => live && setLabel(found));
    return () => {
      live = false;
    };
  }, [runId, step]);
  return label;
}

function Parent({
  runId,
  parent,
  overlay,
  onOverlay,
}: {
  runId: string;
  parent: NonNullable<RunStatus['parent']>;
  overlay: boolean;
  onOverlay: (show: boolean) => void;
}) {
  const name = useRuns((s) => s.statuses[parent.run]?.name);
  const label = useForkLabel(runId, parent.step);
  return (
    <>
      <dt>forked from</dt>
      <dd data-testid="run-parent" data-run-id={parent.run} data-checkpoint={parent.checkpoint} data-step={parent.step}>
        <Link href={`/runs/${parent.run}`} className="run-link">
          {name ?? parent.run}
        </Link>{' '}
        <code className="muted">{parent.run}</code>
        <div className="muted">
          {parent.checkpoint} · step {parent.step.toLocaleString('en-US')}
          {parent.optimizerState === 'fresh' ? ' · fresh optimizer state' : ''}
        </div>
        <span className="lineage-label" data-testid="run-parent-label">
          {label ?? `@ step ${parent.step}`}
        </span>
        <div className="family-actions">
          <Link href={`/compare?runs=${parent.run},${runId}`} className="link" data-testid="compare-with-parent">
            Compare with parent ▸
          </Link>
          <label title="Draw the parent's loss, learning rate and gradient norm on this page's charts">
            <input type="checkbox" data-testid="overlay-parent" checked={overlay} onChange={(e) => onOverlay(e.target.checked)} />
            parent's curves
          </label>
        </div>
      </dd>
    </>
  );
}

function Child({ run }: { run: RunStatus }) {
  const label = useForkLabel(run.id, run.parent?.step);
  return (
    <li data-run-id={run.id}>
      <Link href={`/runs/${run.id}`} className="run-link">
        {run.name}
      </Link>{' '}
      <code className="muted">{run.id}</code>
      <span className="lineage-label">{label ?? `@ step ${run.parent?.step}`}</span>
    </li>
  );
}

/** Shown when the run is a fork or has forks; `overlay`: whether the parent's curves are on the charts. */
export function RunFamily({ runId, overlay, onOverlay }: { runId: string; overlay: boolean; onOverlay: (show: boolean) => void }) {
  const parent = useRuns((s) => (s.runs[runId]?.status ?? s.statuses[runId])?.parent);
  const statuses = useRuns((s) => s.statuses);
  const children = useMemo(() => childrenOf(Object.values(statuses), runId), [statuses, runId]);
  if (!parent && !children.length) return null;
  return (
    <section className="run-family" data-testid="run-family">
      <h3>Lineage</h3>
      <dl>
        {parent && <Parent runId={runId} parent={parent} overlay={overlay} onOverlay={onOverlay} />}
        {children.length > 0 && (
          <>
            <dt>forks</dt>
            <dd>
              <ul data-testid="run-children">
                {children.map((child) => (
                  <Child key={child.id} run={child} />
                ))}
              </ul>
            </dd>
          </>
        )}
      </dl>
    </section>
  );
}
