// The toolbar's run controls: where to train (Node on the server; Torch when the server has
// PyTorch), or this tab (Browser: lib/browser-runs.ts); Run, and while the attached run is active, Pause/Resume and Stop.
import { useRef, useState } from 'react';
import type { BackendPreference } from '../engine/browser/protocol';
import { displayState, isActive, type RunState } from '../lib/run-stream';
import { datasetNeedingFiles, pickPrompt, pickedDataset } from '../lib/browser-data';
import { executorOptions, useRuns, type Executor } from '../lib/runs-store';
import { studio, useStudio } from '../lib/store';
import { RunMemory } from './MemoryEstimate';
import { CompactSelect, type CompactOption } from './CompactSelect';
import { chooseExecutor, runAction, startRun } from './run-actions';

function useAttachedState(): RunState | null {
  return useRuns((s) => {
    const id = s.attached;
    if (!id) return null;
    const run = s.runs[id];
    return run && (run.status || run.lastSeq) ? displayState(run) : (s.statuses[id]?.state ?? null);
  });
}

const RUN_TITLE: Record<Executor, string> = {
  node: 'Train this pipeline on the server',
  torch: 'Train this pipeline with PyTorch on the server',
  browser: 'Train this pipeline in this tab',
};

/**
 * Why Run is disabled: the compiler's errors (the problems panel lists them), or null. What the
 * server said of the last submission is listed too, but does not block the next one: it was said
 * of the pipeline as it was then.
 */
function useRunBlocker(): string | null {
  const diagnostics = useStudio((s) => s.diagnostics);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (!errors.length) return null;
  const first = errors[0];
  const where = first.nodeId ? `${first.nodeId}${first.field ? `.${first.field}` : ''}: ` : '';
  return `Fix ${errors.length === 1 ? 'the problem' : `the ${errors.length} problems`} first (${where}${first.message}); see Problems below`;
}

/** "Node (server)" → "Node": the bar shows the short name, the list the whole label. */
const shortLabel = (label: string) => label.replace(/\s*\(.*\)$/, '');

const BACKENDS: readonly CompactOption<BackendPreference>[] = [
  { value: 'auto', label: 'auto' },
  { value: 'webgpu', label: 'WebGPU' },
  { value: 'webgl', label: 'WebGL' },
  { value: 'wasm', label: 'WASM' },
];

export function RunControls() {
  const executor = useRuns((s) => s.executor);
  const browserBackend = useRuns((s) => s.browserBackend);
  const executors = useRuns((s) => s.executors);
  const torch = executors?.torch;
  const attached = useRuns((s) => s.attached);
  const state = useAttachedState();
  const [starting, setStarting] = useState(false);
  const blocked = useRunBlocker();
  const active = state !== null && isActive(state);
  const picker = useRef<HTMLInputElement>(null);
  const needsFiles = useStudio((s) => (executor === 'browser' ? datasetNeedingFiles(s.doc) : undefined));
  const run = async (options?: Parameters<typeof startRun>[0]) => {
    setStarting(true);
    try {
      await startRun(options);
    } finally {
      setStarting(false);
    }
  };
  // A browser run of a `source: files` dataset reads files picked now (the tab cannot read DATA_DIR).
  const onRun = () => (needsFiles ? picker.current?.click() : void run());
  const onPicked = async (files: File[]) => {
    if (!needsFiles || !files.length) return;
    const picked = await pickedDataset(files, needsFiles);
    if (!picked.ok) return studio.getState().notify(`Not started: ${picked.message}.`, 'error');
    studio.getState().notify(`Training on ${picked.summary}.`);
    await run({ data: picked.data });
  };
  return (
    <div className="run-controls">
      {!active && <RunMemory />}
      <CompactSelect
        testId="executor"
        ariaLabel="Executor"
        className="executor"
        title={torch && !torch.available ? `Torch is not available on the server: ${torch.error ?? 'no PyTorch'}` : 'Where the run trains'}
        value={executor}
        options={executorOptions(executors).map((o) => ({ value: o.name, label: o.label, short: shortLabel(o.label) }))}
        disabled={active}
        onChange={(value) => chooseExecutor({ executor: value })}
      />
      {executor === 'browser' && (
        <CompactSelect
          testId="browser-backend"
          ariaLabel="Browser backend"
          className="browser-backend"
          title="The backend a browser run starts with; when it cannot start, the next one is tried (WebGPU → WebGL → WASM → CPU)"
          value={browserBackend}
          options={BACKENDS}
          disabled={active}
          onChange={(value) => chooseExecutor({ browserBackend: value })}
        />
      )}
      {active && attached ? (
        <>
          {state === 'paused' ? (
            <button type="button" className="button" data-testid="run-resume" onClick={() => void runAction('resume')} title="Continue training">
              ▶ Resume
            </button>
          ) : (
            <button
              type="button"
              className="button icon"
              data-testid="run-pause"
              disabled={state !== 'running'}
              onClick={() => void runAction('pause')}
              title="Pause after the step in progress"
              aria-label="Pause"
            >
              ❚❚
            </button>
          )}
          <button
            type="button"
            className="button icon danger"
            data-testid="run-stop"
            onClick={() => void runAction('stop')}
            title="Stop after the step in progress (resumable from its last checkpoint)"
            aria-label="Stop"
          >
            ■
          </button>
        </>
      ) : (
        // The reason sits on a wrapper too: a disabled button gets no pointer events in some browsers.
        <span className="run-start-wrap" title={blocked ?? undefined}>
          <button
            type="button"
            className="button primary"
            data-testid="run-start"
            disabled={starting || !!blocked}
            onClick={onRun}
            title={blocked ?? (needsFiles ? pickPrompt(needsFiles) : RUN_TITLE[executor])}
          >
            ▶ Run{needsFiles ? '…' : ''}
          </button>
          <input
            ref={picker}
            type="file"
            multiple
            hidden
            data-testid="browser-data-files"
            aria-label={needsFiles ? pickPrompt(needsFiles) : 'Data files'}
            onChange={(e) => {
              const files = [...(e.currentTarget.files ?? [])];
              e.currentTarget.value = ''; // the same files may be picked again for the next run
              void onPicked(files);
            }}
          />
        </span>
      )}
    </div>
  );
}
