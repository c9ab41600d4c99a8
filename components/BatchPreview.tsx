// The batch preview: the first windows of the first batch a run will draw, from the same
// sampler and seed (engine/data/batch.ts: start_b = rng.index(N - T) with Rng(seed)), read from
// the library dataset feeding get_batch. x as text with token boundaries; y, the targets, is x
// shifted by one token.
import { useEffect, useState } from 'react';
import { Rng } from '../engine/random';
import { fetchPreview, type DatasetPreview, type DatasetStatus } from '../lib/datasets-client';
import { TokenStrip } from './TokenStrip';

/** Windows shown (of batch_size). */
const SHOWN = 3;

/** Window starts of the first batch, exactly as get_batch draws them. */
export function firstBatchStarts(trainTokens: number, batchSize: number, contextLength: number, seed: number): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: batchSize }, () => rng.index(trainTokens - contextLength));
}

export function BatchPreview({ dataset, batchSize, contextLength, seed }: { dataset: DatasetStatus; batchSize: number; contextLength: number; seed: number }) {
  const [windows, setWindows] = useState<{ start: number; preview: DatasetPreview }[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const N = dataset.train_tokens ?? 0;
  useEffect(() => {
    setWindows(null);
    setError(null);
    if (N <= contextLength) return setError(`the train split has ${N} tokens; context_length ${contextLength} needs at least ${contextLength + 1}`);
    const starts = firstBatchStarts(N, batchSize, contextLength, seed).slice(0, SHOWN);
    Promise.all(starts.map(async (start) => ({ start, preview: await fetchPreview(dataset.id, 'train', start, Math.min(contextLength + 1, 4096)) }))).then(
      setWindows,
      (e: Error) => setError(e.message),
    );
  }, [dataset.id, N, batchSize, contextLength, seed]);
  if (error) return <div className="field-error">{error}</div>;
  if (!windows) return <div className="muted small">Reading the first batch…</div>;
  const cut = (p: DatasetPreview, from: number, to: number) => ({ ids: p.ids.slice(from, to), tokens: p.tokens?.slice(from, to) ?? null });
  return (
    <div className="batch-preview" data-testid="batch-preview">
      <p className="muted small">
        Step 1, {Math.min(SHOWN, batchSize)} of {batchSize} windows of {contextLength} tokens from {dataset.name} (seed {seed}). Hover a token for its id.
      </p>
      {windows.map(({ start, preview }, b) => {
        const x = cut(preview, 0, contextLength);
        const y = cut(preview, 1, contextLength + 1);
        return (
          <div key={b} className="batch-window" data-testid="batch-window" data-start={start}>
            <div className="small muted">
              x[{b}] = tokens[{start}:{start + contextLength}]
            </div>
            <TokenStrip ids={x.ids} tokens={x.tokens} testId="batch-x" />
            <div className="small muted">y[{b}] (targets: x shifted by one)</div>
            <TokenStrip ids={y.ids} tokens={y.tokens} testId="batch-y" />
          </div>
        );
      })}
    </div>
  );
}
