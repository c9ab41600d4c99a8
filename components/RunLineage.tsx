'use client';
// The runs page's lineage: forks drawn as a tree under the runs they started from, each labelled
// with what it changed (from GET /api/runs/:id/diff) and the step it forked at.
import Link from 'next/link';
import { useEffect, useMemo, useState } from 'react';
import { fetchForkLabel, lineageTree, type LineageNode } from '../lib/lineage';
import type { RunStatus } from '../lib/run-stream';
import { RunStateBadge } from './RunStateBadge';

/** Fork labels by run id, fetched once per fork. */
function useForkLabels(forks: RunStatus[]): Record<string, string> {
  const [labels, setLabels] = useState<Record<string, string>>({});
  const key = forks.map((f) => f.id).join(',');
  useEffect(() => {
    let live = true;
    for (const fork of forks) {
      if (labels[fork.id]) continue;
      void fetchForkLabel(fork.id, fork.parent!.step).then((label) => {
        if (label && live) setLabels((l) => ({ ...l, [fork.id]: label }));
      });
    }
    return () => {
      live = false;
    };
  }, [key]);
  return labels;
}

function Branch({ node, labels }: { node: LineageNode<RunStatus>; labels: Record<string, string> }) {
  const { run } = node;
  return (
    <li data-testid="lineage-node" data-run-id={run.id} data-parent={run.parent?.run ?? ''}>
      <div className="lineage-row">
        <Link href={`/runs/${run.id}`} className="run-link">
          {run.name}
        </Link>{' '}
        <code className="muted small">{run.id}</code> <RunStateBadge state={run.state} />
        {run.parent && (
          <span className="lineage-label" data-testid="lineage-label">
            {labels[run.id] ?? `@ step ${run.parent.step}`}
            {run.parent.optimizerState === 'fresh' ? ' · fresh optimizer state' : ''}
          </span>
        )}
      </div>
      {node.children.length > 0 && (
        <ul>
          {node.children.map((child) => (
            <Branch key={child.run.id} node={child} labels={labels} />
          ))}
        </ul>
      )}
    </li>
  );
}

/** Shown only when some run is a fork: a flat list says everything otherwise. */
export function RunLineage({ runs }: { runs: RunStatus[] }) {
  const forks = useMemo(() => runs.filter((r) => r.parent), [runs]);
  const tree = useMemo(() => lineageTree(runs).filter((n) => n.children.length > 0), [runs]);
  const labels = useForkLabels(forks);
  if (!forks.length) return null;
  return (
    <section className="lineage runs-list" data-testid="lineage">
      <div className="runs-list-head">
        <h2>Lineage</h2>
        <span className="muted small">forks under the runs they started from</span>
      </div>
      <ul className="lineage-tree">
        {tree.map((node) => (
          <Branch key={node.run.id} node={node} labels={labels} />
        ))}
      </ul>
    </section>
  );
}
