'use client';
// The runs page (/runs): every run on the server, newest first, kept fresh by the `runs`
// broadcasts (browser runs too: the server records them as their tab trains them); tick runs to
// overlay their loss curves in one chart; open one for its graph.
import Link from 'next/link';
import { Fragment, useMemo, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import uPlot from 'uplot';
import { EXECUTOR_NAMES } from '../engine/executors';
import { isTabOnlyRun } from '../lib/browser-runs';
import type { Pipeline } from '../lib/document';
import { formatCount, formatValue } from '../lib/live-view';
import { differences, resumeNote, runHyper } from '../lib/run-labels';
import { useRunPipelines } from '../lib/run-pipelines';
import { useRunsList, useRunStream } from '../lib/run-client';
import { displayState, type RunStatus } from '../lib/run-stream';
import { useRuns } from '../lib/runs-store';
import { groupSweeps, matchesFilter, NO_FILTER, sweepAxesLabel, sweepLabel, type RunsFilter } from '../lib/runs-list';
import { Chart, type ChartSeries } from './Chart';
import { ForkFromHere } from './ForkFromHere';
import { Brand } from './Brand';
import { RunLineage } from './RunLineage';
import { RunStateBadge } from './RunStateBadge';

/** Colours of overlaid runs, in the order they were ticked. */
export const RUN_COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#be185d', '#4b5563'];

/** A date as "Nov 29, 14:05". */
export function formatWhen(iso: string | undefined): string {
  if (!iso) return '–';
  const date = new Date(iso);
  return date.toLocaleString('en-US', { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false });
}

/** Subscribes to one run while ticked (a component, so the number of runs may change). */
function Watch({ runId }: { runId: string }) {
  useRunStream(runId);
  return null;
}

/**
 * Legend names for runs: what sets each apart from its template, else its pipeline's name; the
 * start time is added where two would read the same.
 */
function legendNames(ids: string[], statuses: (RunStatus | undefined)[], pipelines: Record<string, Pipeline | undefined>): string[] {
  const base = ids.map((id, i) => {
    const doc = pipelines[id];
    const diff = doc ? differences(doc, 2) : [];
    return diff.length ? diff.join(' ') : shorten(statuses[i]?.name ?? id, 28);
  });
  return base.map((name, i) =>
    base.filter((b) => b === name).length > 1 ? `${name} (${formatWhen(statuses[i]?.startedAt ?? statuses[i]?.createdAt)})` : name,
  );
}

const shorten = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

function Overlay({ ids }: { ids: string[] }) {
  const views = useRuns(useShallow((s) => ids.map((id) => s.runs[id])));
  const statuses = useRuns(useShallow((s) => ids.map((id) => s.statuses[id])));
  const names = statuses.map((st, i) => st?.name ?? ids[i]);
  const legends = legendNames(ids, statuses, useRunPipelines(ids));
  // Recomputed when a run's curves or the set of runs change.
  const key = `${ids.join(',')}|${views.map((v) => v?.lastSeq ?? 0).join(',')}`;
  const data = useMemo(() => {
    const tables: uPlot.AlignedData[] = [];
    for (const v of views) tables.push([v?.charts.step ?? [], v?.charts.loss ?? []]);
    for (const v of views) tables.push([v?.charts.evalStep ?? [], v?.charts.val_loss ?? []]);
    return uPlot.join(tables);
  }, [key]);
  const series: ChartSeries[] = [
    ...ids.map((_, i) => ({ label: `${legends[i]} train`, color: RUN_COLORS[i % RUN_COLORS.length] })),
    ...ids.map((_, i) => ({ label: `${legends[i]} val`, color: RUN_COLORS[i % RUN_COLORS.length], dash: [5, 4], points: true })),
  ];
  return (
    <section className="overlay" data-testid="overlay" data-runs={ids.length}>
      {ids.map((id) => (
        <Watch key={id} runId={id} />
      ))}
      <div className="overlay-head">
        <h2>
          Compare {ids.length} run{ids.length === 1 ? '' : 's'}
        </h2>
        <ul className="overlay-keys">
          {ids.map((id, i) => (
            <li key={id}>
              <i style={{ background: RUN_COLORS[i % RUN_COLORS.length] }} />
              <b title={names[i]}>{legends[i]}</b> <code className="muted">{id}</code>
            </li>
          ))}
          <li className="muted small">solid: train · dashed: validation</li>
        </ul>
      </div>
      <div className="overlay-chart">
        <Chart testId="chart-overlay" title="Loss" data={data} series={series} empty="Loading the runs' curves…" />
      </div>
    </section>
  );
}

function Row({ status, ticked, onTick }: { status: RunStatus; ticked: number; onTick: () => void }) {
  const state = useRuns((s) => (s.runs[status.id] ? displayState(s.runs[status.id]) : status.state));
  const m = status.metrics;
  const doc = useRunPipelines([status.id])[status.id];
  const hyper = doc ? runHyper(doc, status.totalSteps) : undefined;
  const diff = doc ? differences(doc) : [];
  const resumed = resumeNote(status);
  return (
    <tr data-testid="runs-row" data-run-id={status.id} data-state={state} className={ticked >= 0 ? 'is-ticked' : undefined}>
      <td className="tick">
        <input type="checkbox" aria-label={`Compare ${status.id}`} data-testid="runs-compare" checked={ticked >= 0} onChange={onTick} />
        {ticked >= 0 && <i className="swatch-dot" style={{ background: RUN_COLORS[ticked % RUN_COLORS.length] }} />}
      </td>
      <td>
        <Link href={`/runs/${status.id}`} className="run-link" data-testid="runs-open" title={status.name}>
          {status.name}
        </Link>
        {status.sweep && (
          <div className="run-diff small" data-testid="runs-sweep-point" title="This point of its sweep">
            {sweepLabel(status.sweep.values)}
          </div>
        )}
        {!status.sweep && diff.length > 0 && (
          <div className="run-diff small" data-testid="runs-diff" title="What differs from the template">
            {diff.join(' · ')}
          </div>
        )}
        <div className="muted small">
          <code>{status.id}</code>
          {status.lastCheckpoint && !isTabOnlyRun(status.id) && (
            <>
              {' '}
              · <ForkFromHere runId={status.id} checkpoint={status.lastCheckpoint} label={`⤴ fork ${status.lastCheckpoint}`} />
            </>
          )}
        </div>
        {resumed && (
          <div className="run-resumed small" data-testid="runs-resumed" title={`resumed ${formatWhen(status.resumed?.at)}`}>
            ↻ {resumed}
          </div>
        )}
      </td>
      <td>
        <RunStateBadge state={state} />
      </td>
      <td className="num">
        {status.step.toLocaleString('en-US')} / {status.totalSteps.toLocaleString('en-US')}
        <div className="progress thin">
          <div
            className={`progress-bar state-${state}`}
            style={{ transform: `scaleX(${status.totalSteps ? Math.min(1, status.step / status.totalSteps) : 0})` }}
          />
        </div>
      </td>
      <td className="num" data-testid="runs-lr">
        {hyper?.lr !== undefined ? String(Number(hyper.lr.toPrecision(3))) : '–'}
      </td>
      <td className="num" data-testid="runs-batch">
        {hyper?.batch ?? '–'}
      </td>
      <td className="num" data-testid="runs-params">
        {hyper?.params !== undefined ? formatCount(hyper.params) : '–'}
      </td>
      <td className="num">{m.loss !== undefined ? formatValue(m.loss) : '–'}</td>
      <td className="num">{m.val_loss !== undefined ? formatValue(m.val_loss) : '–'}</td>
      <td className="num" data-testid="runs-best-val" title={m.best_val_step !== undefined ? `at step ${m.best_val_step}` : undefined}>
        {m.best_val_loss !== undefined ? formatValue(m.best_val_loss) : '–'}
      </td>
      <td data-testid="runs-executor">
        {status.executor} · {status.backend}
      </td>
      <td>
        {formatWhen(status.startedAt ?? status.createdAt)}
        {status.resumed && <div className="muted small">resumed {formatWhen(status.resumed.at)}</div>}
      </td>
    </tr>
  );
}

/** A sweep's header row: its axes, how far its points are, and a link comparing them. */
function SweepRow({ id, runs }: { id: string; runs: RunStatus[] }) {
  const done = runs.filter((r) => r.state === 'completed').length;
  return (
    <tr className="sweep-row" data-testid="runs-sweep" data-sweep-id={id}>
      <td colSpan={COLUMNS}>
        <b>⇶ Sweep</b> <span>{sweepAxesLabel(runs)}</span>
        <span className="muted small">
          {' '}
          · {runs.length} runs, {done} completed · <code>{id}</code>
        </span>{' '}
        <Link href={`/compare?runs=${runs.map((r) => r.id).join(',')}&sweep=${id}`} className="link small" data-testid="runs-sweep-compare">
          compare ▸
        </Link>
      </td>
    </tr>
  );
}

const COLUMNS = 12;
const STATE_FILTERS = ['all', 'active', 'completed', 'stopped', 'interrupted', 'failed'];

function Filters({ filter, onChange }: { filter: RunsFilter; onChange: (f: RunsFilter) => void }) {
  return (
    <span className="runs-filters">
      <select
        className="input"
        aria-label="State"
        data-testid="runs-filter-state"
        value={filter.state}
        onChange={(e) => onChange({ ...filter, state: e.target.value })}
      >
        {STATE_FILTERS.map((s) => (
          <option key={s} value={s}>
            {s === 'all' ? 'any state' : s}
          </option>
        ))}
      </select>
      <select
        className="input"
        aria-label="Executor"
        data-testid="runs-filter-executor"
        value={filter.executor}
        onChange={(e) => onChange({ ...filter, executor: e.target.value })}
      >
        <option value="all">any executor</option>
        {EXECUTOR_NAMES.map((name) => (
          <option key={name} value={name}>
            {name}
          </option>
        ))}
      </select>
      <input
        className="input"
        type="search"
        placeholder="pipeline name"
        aria-label="Pipeline name"
        data-testid="runs-filter-name"
        value={filter.name}
        onChange={(e) => onChange({ ...filter, name: e.target.value })}
      />
    </span>
  );
}

export default function RunsPage() {
  useRunsList();
  const statuses = useRuns((s) => s.statuses);
  const listed = useRuns((s) => s.listed);
  // A run in this tab only is not on the server: it has no page to open.
  const all = useMemo(
    () =>
      Object.values(statuses)
        .filter((s) => !isTabOnlyRun(s.id))
        .sort((a, b) => (a.id < b.id ? 1 : -1)),
    [statuses],
  );
  const shown = useRuns(useShallow((s) => all.map((r) => (s.runs[r.id] ? displayState(s.runs[r.id]) : r.state))));
  const [filter, setFilter] = useState<RunsFilter>(NO_FILTER);
  const runs = all.filter((r, i) => matchesFilter(r, filter, shown[i]));
  const rows = groupSweeps(runs);
  const [ticked, setTicked] = useState<string[]>([]);
  const tick = (id: string) => setTicked((t) => (t.includes(id) ? t.filter((x) => x !== id) : [...t, id]));
  return (
    <div className="runs-page">
      <header className="toolbar">
        <Brand linkHome />
        <div className="doc-name">Runs</div>
        <nav className="actions">
          <Link href="/datasets" className="button">
            Data
          </Link>
          <Link href="/" className="button" data-testid="studio-link">
            ← Studio
          </Link>
        </nav>
      </header>
      <main className="runs-main">
        <section className="runs-list">
          <div className="runs-list-head">
            <h2>Runs</h2>
            <span className="muted small">
              {runs.length === all.length ? `${all.length} on this server` : `${runs.length} of ${all.length} shown`} · tick two or more to compare them
            </span>
            <Filters filter={filter} onChange={setFilter} />
            {ticked.length >= 2 && (
              <Link href={`/compare?runs=${ticked.join(',')}`} className="button primary" data-testid="runs-compare-open">
                Compare {ticked.length} ▸
              </Link>
            )}
          </div>
          {all.length === 0 ? (
            <p className="muted runs-empty">{listed ? 'No runs yet. Start one from the studio with ▶ Run.' : 'Loading…'}</p>
          ) : (
            <div className="runs-table-wrap">
              <table className="runs-table" data-testid="runs-table">
                <thead>
                  <tr>
                    <th aria-label="Compare" />
                    <th>Run</th>
                    <th>Status</th>
                    <th className="num">Steps</th>
                    <th className="num" title="Peak learning rate (the scheduler's, else the optimizer's)">
                      lr
                    </th>
                    <th className="num" title="Sequences per batch">
                      Batch
                    </th>
                    <th className="num" title="Model parameters">
                      Params
                    </th>
                    <th className="num">Train loss</th>
                    <th className="num">Val loss</th>
                    <th className="num" title="The lowest validation loss so far">
                      Best val
                    </th>
                    <th>Executor · backend</th>
                    <th>Started</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((row) =>
                    row.kind === 'run' ? (
                      <Row key={row.status.id} status={row.status} ticked={ticked.indexOf(row.status.id)} onTick={() => tick(row.status.id)} />
                    ) : (
                      <Fragment key={row.id}>
                        <SweepRow id={row.id} runs={row.runs} />
                        {row.runs.map((r) => (
                          <Row key={r.id} status={r} ticked={ticked.indexOf(r.id)} onTick={() => tick(r.id)} />
                        ))}
                      </Fragment>
                    ),
                  )}
                </tbody>
              </table>
            </div>
          )}
        </section>
        <RunLineage runs={all} />
        {ticked.length > 0 ? (
          <Overlay ids={ticked} />
        ) : (
          all.length > 0 && <p className="muted small overlay-hint">Tick runs to overlay their loss curves here.</p>
        )}
      </main>
    </div>
  );
}
