// The memory estimate before a run: a line on the model block (parameters and what they hold with
// their gradients and optimizer state), on the get_batch block (one micro-batch's activations),
// and in the run controls (the whole run against the budget where it would train).
import { memo } from 'react';
import { formatBytes } from '../engine/memory/estimate';
import { formatCount } from '../lib/live-view';
import { useCanvasMemory } from './memory-estimate';

/** On a model or get_batch block; nothing for other kinds or while the pipeline does not compile. */
function BlockMemoryView({ nodeId, kind }: { nodeId: string; kind: string }) {
  const memory = useCanvasMemory();
  const held = memory?.estimate.nodes[nodeId];
  if (!memory || !held || (kind !== 'model' && kind !== 'get_batch')) return null;
  const { estimate } = memory;
  const text = kind === 'model' ? `params ${formatCount(estimate.parameters)} · ≈ ${formatBytes(held.bytes)}` : `activations ≈ ${formatBytes(held.bytes)}`;
  const title =
    kind === 'model'
      ? `${estimate.parameters.toLocaleString()} parameters: weights ${formatBytes(estimate.bytes.weights)}, gradients ${formatBytes(estimate.bytes.gradients)}, optimizer state ${formatBytes(estimate.bytes.optimizer)}. Shrink ${held.fields.join(', ')} to need less.`
      : `One micro-batch's activations, kept for the backward pass. Shrink ${held.fields.join(', ')} to need less.`;
  return (
    <div className="block-memory" data-testid="block-memory" data-bytes={held.bytes} title={title}>
      {text}
    </div>
  );
}

export const BlockMemory = memo(BlockMemoryView);

/** In the run controls: the run's estimated peak, and the budget it must fit. */
export function RunMemory() {
  const memory = useCanvasMemory();
  if (!memory) return null;
  const { estimate, budget, budgetName } = memory;
  const total = estimate.bytes.total;
  const over = budget !== undefined && total > budget;
  const b = estimate.bytes;
  const parts = `weights ${formatBytes(b.weights)}, gradients ${formatBytes(b.gradients)}, optimizer ${formatBytes(b.optimizer)}, activations ${formatBytes(b.activations)}, eval ${formatBytes(b.eval)}, sampling ${formatBytes(b.sampling)}, runtime ${formatBytes(b.runtime)}`;
  const title = `Estimated peak memory of this run (${parts})${budget !== undefined ? `; ${budgetName}: ${formatBytes(budget)}` : ''}${over ? '. Too large: it will be refused.' : ''}`;
  return (
    <span className={over ? 'run-memory is-over' : 'run-memory'} data-testid="run-memory" data-bytes={total} title={title}>
      <span className="run-memory-params">params {formatCount(estimate.parameters)} · </span>≈ {formatBytes(total)}
      {budget !== undefined && <span className="muted"> / {formatBytes(budget)}</span>}
    </span>
  );
}
