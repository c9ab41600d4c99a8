// The toolbar's run controls: where to train (Node on the server; Torch when the server has
// PyTorch), or this tab (Browser: lib/browser-runs.ts); Run, and while the attached run is active, Pause/Resume and Stop.
import { useState } from 'react';
import type { BackendPreference } from '../engine/browser/protocol';
import { displayState, isActive, type RunState } from '../lib/run-stream';
import { executorOptions, runsStore, useRuns, type Executor } from '../lib/runs-store';
import { runAction, startRun } from './run-actions';

function useAttachedState(): RunState | null {
  return useRuns((s) => {
    const id = s.attached;
    if (!id) return null;
    const run = s.runs[id];
    return run && (run.status || run.lastSeq) ? displayState(run) : (s.statuses[id]?.state ?? null);
  });
}

export function RunControls() {
  const executor = useRuns((s) => s.executor);
  const browserBackend = useRuns((s) => s.browserBackend);
  const executors = useRuns((s) => s.executors);
  const torch = executors?.torch;
  const attached = useRuns((s) => s.attached);
  const state = useAttachedState();
  const [starting, setStarting] = useState(false);
  const active = state !== null && isActive(state);
  const run = async () => {
    setStarting(true);
    try {
      await startRun();
    } finally {
      setStarting(false);
    }
  };
  return (
    <div className="run-controls">
      <select
        className="input executor"
        data-testid="executor"
        aria-label="Executor"
        title={torch && !torch.available ? `Torch is not available on the server: ${torch.error ?? 'no PyTorch'}` : 'Where the run trains'}
        value={executor}
        disabled={active}
        onChange={(e) => runsStore.getState().setExecutor(e.target.value as Executor)}
      >
        {executorOptions(executors).map((option) => (
          <option key={option.name} value={option.name}>{option.label}</option>
        ))}
      </select>
      {executor === 'browser' && (
        <select
          className="input browser-backend"
          data-testid="browser-backend"
          aria-label="Browser backend"
          title="The backend a browser run starts with; when it cannot start, the next one is tried (WebGPU → WebGL → WASM → CPU)"
          value={browserBackend}
          disabled={active}
          onChange={(e) => runsStore.getState().setBrowserBackend(e.target.value as BackendPreference)}
        >
          <option value="auto">auto</option>
          <option value="webgpu">WebGPU</option>
          <option value="webgl">WebGL</option>
          <option value="wasm">WASM</option>
        </select>
      )}
      {active && attached ? (
        <>
          {state === 'paused' ? (
            <button type="button" className="button" data-testid="run-resume" onClick={() => void runAction('resume')} title="Continue training">
              ▶ Resume
            </button>
          ) : (
            <button type="button" className="button icon" data-testid="run-pause" disabled={state !== 'running'} onClick={() => void runAction('pause')} title="Pause after the step in progress" aria-label="Pause">
              ❚❚
            </button>
          )}
          <button type="button" className="button icon danger" data-testid="run-stop" onClick={() => void runAction('stop')} title="Stop after the step in progress (resumable from its last checkpoint)" aria-label="Stop">
            ■
          </button>
        </>
      ) : (
        <button type="button" className="button primary" data-testid="run-start" disabled={starting} onClick={() => void run()} title="Train this pipeline on the server">
          ▶ Run
        </button>
      )}
    </div>
  );
}
