// A run's state as a coloured dot and a word.
import type { RunState } from '../lib/run-stream';

export function RunStateBadge({ state }: { state: RunState }) {
  return (
    <span className={`run-state state-${state}`} data-testid="run-state" data-state={state}>
      <i aria-hidden />
      {state}
    </span>
  );
}
