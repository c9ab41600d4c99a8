// A run at a glance: state, progress with ETA, backend, elapsed time, the latest numbers, the run
// controls, the error of a failed run, and its charts. Used under the studio's canvas (the
// attached run) and on a run's page.
import Link from 'next/link';
import { browserBackend, describeBackend, downloadBrowserTrainLog, isBrowserRunHere, isTabOnlyRun, notRecorded } from '../lib/browser-runs';
import { formatCount, formatDuration, formatMs, formatValue } from '../lib/live-view';
import { useRunStream } from '../lib/run-client';
import { resumeNote } from '../lib/run-labels';
import { displayState, isActive, secondsPerStep, type RunState, type RunStatus, type RunView } from '../lib/run-stream';
import { useRuns } from '../lib/runs-store';
import { runAction } from './run-actions';
import { RunCharts } from './RunCharts';
import { formatWhen } from './RunsPage';
import { RunStateBadge } from './RunStateBadge';
import { useLibraryEntropy } from '../lib/datasets-client';

/** Pause / Resume / Stop for a run in `state`. */
export function RunButtons({ runId, state, testPrefix = 'run' }: { runId: string; state: RunState; testPrefix?: string }) {
  const canStop = isActive(state);
  return (
    <>
      {state === 'paused' ? (
        <button type="button" className="button" data-testid={`${testPrefix}-resume`} onClick={() => void runAction('resume', runId)} title="Continue training">
          ▶ Resume
        </button>
      ) : state === 'stopped' || state === 'interrupted' ? (
        <button
          type="button"
          className="button"
          data-testid={`${testPrefix}-resume`}
          onClick={() => void runAction('resume', runId)}
          title="Continue from the newest checkpoint"
        >
          ↻ Resume
        </button>
      ) : (
        <button
          type="button"
          className="button"
          data-testid={`${testPrefix}-pause`}
          disabled={state !== 'running'}
          onClick={() => void runAction('pause', runId)}
          title="Pause after the step in progress"
        >
          ❚❚ Pause
        </button>
      )}
      <button
        type="button"
        className="button danger"
        data-testid={`${testPrefix}-stop`}
        disabled={!canStop}
        onClick={() => void runAction('stop', runId)}
        title="Stop after the step in progress (resumable from its last checkpoint)"
      >
        ■ Stop
      </button>
    </>
  );
}

function progressOf(run: RunView | undefined, status: ReturnType<typeof useStatus>) {
  const step = run && run.lastSeq > 0 ? run.step : (status?.step ?? 0);
  const total = run?.started?.totalSteps ?? status?.totalSteps ?? 0;
  return { step, total, fraction: total > 0 ? Math.min(1, step / total) : 0 };
}

/** What an empty chart says, by run state. */
const EMPTY_CHART: Record<RunState, string> = {
  queued: 'Waiting for a free slot…',
  running: 'Points appear after the first step.',
  paused: 'No steps yet.',
  completed: 'No steps.',
  stopped: 'Stopped before its first step.',
  failed: 'Failed before its first step.',
  interrupted: 'Interrupted before its first step.',
};

const useStatus = (runId: string) => useRuns((s) => s.runs[runId]?.status ?? s.statuses[runId]);

/** When and where a resumed run continued: the steps it trains again, its first start and the resume. */
function ResumedLine({ status }: { status: RunStatus | undefined }) {
  const note = resumeNote(status);
  if (!note || !status?.resumed) return null;
  const times = `first started ${formatWhen(status.startedAt ?? status.createdAt)}, resumed ${formatWhen(status.resumed.at)}`;
  return (
    <div className="run-resumed small" data-testid="run-resumed" title={`${note}; ${times}`}>
      ↻ {note} · <span className="muted">{times}</span>
    </div>
  );
}

/** `overlayRunId`: another run whose curves are drawn beside this one's (a fork's parent, on the run page). */
export function RunPanel({
  runId,
  onClose,
  onFocusNode,
  note,
  overlayRunId,
}: {
  runId: string;
  onClose?: () => void;
  onFocusNode?: (nodeId: string) => void;
  note?: React.ReactNode;
  overlayRunId?: string;
}) {
  const run = useRunStream(runId);
  const overlay = useRunStream(overlayRunId);
  const status = useStatus(runId);
  const entropy = useLibraryEntropy();
  const missing = useRuns((s) => !!s.missing[runId]);
  if (missing) {
    return (
      <div className="run-panel empty" data-testid="run-panel">
        <p className="muted">The server has no run {runId} (its runs folder changed).</p>
        {onClose && (
          <button type="button" className="button" onClick={onClose}>
            Close
          </button>
        )}
      </div>
    );
  }
  const state: RunState = run ? displayState(run) : (status?.state ?? 'queued');
  const { step, total, fraction } = progressOf(run, status);
  const c = run?.charts;
  const last = c && c.step.length ? c.step.length - 1 : -1;
  const perStep = run ? secondsPerStep(run) : undefined;
  const eta = state === 'running' && perStep !== undefined && total > step ? formatDuration(perStep * (total - step)) : undefined;
  const elapsed = run?.finished?.elapsed_s ?? (last >= 0 ? c!.elapsed_s[last] : status?.metrics.elapsed_s);
  const valLoss = c && c.val_loss.length ? c.val_loss[c.val_loss.length - 1] : status?.metrics.val_loss;
  const error = run?.error ?? status?.error;
  const backend = run?.started?.backend ?? status?.backend;
  const matmul = run?.started?.matmul; // e.g. "OpenBLAS 0.3.21 SkylakeX, 1 thread"; shown as "wasm + OpenBLAS"
  // A browser run this tab trains; one the server does not know (tab only) has no page there.
  const here = isBrowserRunHere(runId);
  const tabOnly = isTabOnlyRun(runId);
  // Read on each render: the synthesized status changes (and re-renders) when the backend arrives
  // or the recording stops.
  const chosen = here && status?.backend ? browserBackend(runId) : undefined;
  const shown = chosen ? describeBackend(chosen) : undefined;
  const unrecorded = here ? notRecorded(runId) : undefined;
  const origin = status?.resumedFrom;
  return (
    <div className="run-panel" data-testid="run-panel" data-run-id={runId} data-executor={status?.executor ?? ''} data-state={state} data-step={step}>
      <div className="run-summary">
        <div className="run-title">
          <RunStateBadge state={state} />
          {tabOnly ? (
            <span className="run-name" title={`${status?.name ?? runId}: trained in this tab only (gone after a reload)`}>
              {status?.name ?? runId}
            </span>
          ) : (
            <Link href={`/runs/${runId}`} className="run-name" title={`${status?.name ?? runId}: open the run's page`}>
              {status?.name ?? runId}
            </Link>
          )}
          {onClose && (
            <button
              type="button"
              className="close"
              aria-label="Stop showing this run"
              title={isActive(state) ? 'Stop showing this run (it keeps training)' : 'Stop showing this run'}
              onClick={onClose}
            >
              ×
            </button>
          )}
        </div>
        <div className="muted small run-meta" title={[runId, status?.executor ?? 'node', shown?.label ?? backend].filter(Boolean).join(' · ')}>
          <code>{runId}</code> · {status?.executor ?? 'node'} ·{' '}
          <span
            data-testid="run-backend"
            data-backend={chosen?.name ?? run?.started?.backend ?? ''}
            title={shown ? `${shown.label}${shown.fallbacks ? ` · skipped ${shown.fallbacks}` : ''}` : matmul ? `${backend}, matmuls on ${matmul}` : undefined}
          >
            {shown?.label ?? (matmul ? `${backend} + ${matmul.split(' ')[0]}` : backend) ?? '…'}
          </span>
          {shown?.fallbacks && <span data-testid="run-backend-fallbacks"> · skipped {shown.fallbacks}</span>}
          {unrecorded && (
            <span
              data-testid="run-recording"
              className="run-recording"
              title={`Not recorded on the server: ${unrecorded}. Its checkpoints and train_log.jsonl are kept in this tab.`}
            >
              {' '}
              · {tabOnly ? 'this tab only' : 'recording stopped'}
            </span>
          )}
          {origin && (
            <span
              data-testid="run-origin"
              title={`Continues ${origin.executor ? `the ${origin.executor} checkpoint` : 'the checkpoint'} ${origin.name} (${origin.run ? `run ${origin.run}` : `upload ${origin.upload}`}) from step ${origin.step + 1}`}
            >
              {' '}
              · from {origin.name}
            </span>
          )}
        </div>
        <ResumedLine status={status} />
        {note}
        <div className="progress" role="progressbar" aria-valuemin={0} aria-valuemax={total} aria-valuenow={step} data-testid="run-progress">
          <div className={`progress-bar state-${state}`} style={{ transform: `scaleX(${fraction.toFixed(4)})` }} />
        </div>
        <div className="run-steps small">
          <span data-testid="run-step">
            step <b>{step.toLocaleString('en-US')}</b> / {total.toLocaleString('en-US')} · {Math.floor(fraction * 100)}%
          </span>
          <span className="muted">{eta ? `ETA ${eta}` : state === 'paused' ? 'paused' : ''}</span>
        </div>
        <dl className="run-numbers small">
          <div>
            <dt>elapsed</dt>
            <dd>{elapsed !== undefined ? formatDuration(elapsed) : '–'}</dd>
          </div>
          <div>
            <dt>loss</dt>
            <dd data-testid="run-loss">
              {last >= 0 ? formatValue(c!.loss[last]) : status?.metrics.loss !== undefined ? formatValue(status.metrics.loss) : '–'}
            </dd>
          </div>
          <div>
            <dt>val</dt>
            <dd>{valLoss !== undefined ? formatValue(valLoss) : '–'}</dd>
          </div>
          <div>
            <dt>tok/s</dt>
            <dd>{last >= 0 ? formatCount(c!.tokens_per_sec[last]) : '–'}</dd>
          </div>
          <div>
            <dt>step</dt>
            <dd>{last >= 0 ? formatMs(c!.step_ms[last]) : '–'}</dd>
          </div>
        </dl>
        {error &&
          state === 'failed' &&
          (error.nodeId && onFocusNode ? (
            <button type="button" className="run-error" data-testid="run-error" title="Show the block on the canvas" onClick={() => onFocusNode(error.nodeId!)}>
              <b>{error.nodeId}: </b>
              {error.message}
            </button>
          ) : (
            <div className="run-error" data-testid="run-error">
              <b>{error.nodeId ? `${error.nodeId}: ` : ''}</b>
              {error.message}
            </div>
          ))}
        {((state !== 'completed' && state !== 'failed') || here) && (
          <div className="button-row">
            {state !== 'completed' && state !== 'failed' && <RunButtons runId={runId} state={state} testPrefix="panel" />}
            {here && (
              <button
                type="button"
                className="button"
                data-testid="download-train-log"
                onClick={() => void downloadBrowserTrainLog(runId)}
                title="The run's train_log.jsonl so far (kept in this tab)"
              >
                ⤓ Download train_log.jsonl
              </button>
            )}
          </div>
        )}
      </div>
      {c ? (
        <RunCharts charts={c} empty={EMPTY_CHART[state]} entropy={entropy} edits={run?.edits} parent={overlay?.charts} />
      ) : (
        <div className="run-charts muted">Connecting…</div>
      )}
    </div>
  );
}
