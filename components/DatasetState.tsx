// A dataset's state at a glance: a progress bar with phase and ETA while it tokenizes, its
// error when it failed, "ready" otherwise.
import type { DatasetStatus } from '../lib/datasets-client';

const PHASES = { uploading: 'uploading', extracting: 'reading records', training: 'training BPE', encoding: 'encoding' } as const;

export const formatCount = (n: number | null) => (n === null ? '—' : n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : String(n));

export function DatasetState({ status }: { status: DatasetStatus }) {
  if (status.state === 'failed')
    return (
      <span className="dataset-state failed" data-testid="dataset-state" data-state="failed" title={status.error}>
        failed: {status.error}
      </span>
    );
  if (status.state === 'ready')
    return (
      <span className="dataset-state ready" data-testid="dataset-state" data-state="ready">
        ready
      </span>
    );
  const p = status.progress;
  return (
    <span className="dataset-state tokenizing" data-testid="dataset-state" data-state="tokenizing">
      <progress max={1} value={p?.fraction ?? undefined} />
      <span className="small">
        {p ? PHASES[p.phase] : 'waiting'}
        {p && ` ${Math.round(p.fraction * 100)}%`}
        {p && p.tokens_written > 0 && ` · ${formatCount(p.tokens_written)} tokens`}
        {p?.eta_s != null && ` · ${Math.ceil(p.eta_s)} s left`}
      </span>
    </span>
  );
}
