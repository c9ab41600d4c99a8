'use client';
// The compare view (/compare?runs=a,b,c): the runs' curves overlaid (train and val loss, lr, grad
// norm, tokens/s) on a chosen x axis with smoothing and a log scale, a table of their results, and
// what differs between their graphs. It follows the runs live; runs that cannot be read are named
// and the rest shown.
import Link from 'next/link';
import { useSearchParams } from 'next/navigation';
import { useEffect, useMemo, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { alignCurves, compareRow, CURVES, runCurve, runLabel, X_AXES, type XAxis } from '../lib/compare';
import { loadDocumentValue, type Pipeline } from '../lib/document';
import { useRunsList, useRunStream } from '../lib/run-client';
import { isActive, type RunState } from '../lib/run-stream';
import { useRuns } from '../lib/runs-store';
import { Brand } from './Brand';
import { Chart } from './Chart';
import { CompareTable } from './CompareTable';
import { GraphDiff } from './GraphDiff';
import { RUN_COLORS } from './RunsPage';

/** Most runs one view compares (the URL is shared by hand; the palette repeats past 8). */
const MAX_RUNS = 16;
const RUN_ID = /^[0-9a-z]{13}$/;

/** Learning rates as 3.0e-3: the axis has room for 7 characters. */
const formatRate = (v: number) => (v === 0 ? '0' : v.toExponential(1));

function Watch({ runId }: { runId: string }) {
  useRunStream(runId);
  return null;
}

type Loaded = Record<string, { doc: Pipeline } | { error: string }>;

/** Each run's pipeline, fetched once. */
function usePipelines(ids: string[]): Loaded {
  const [loaded, setLoaded] = useState<Loaded>({});
  useEffect(() => {
    let cancelled = false;
    for (const id of ids) {
      if (loaded[id]) continue;
      (async () => {
        let entry: Loaded[string];
        try {
          if (!RUN_ID.test(id)) throw new Error('not a run id');
          const reply = await fetch(`/api/runs/${id}/pipeline`, { cache: 'no-store' });
          if (!reply.ok) throw new Error(reply.status === 404 ? 'not on this server' : `the server answered ${reply.status}`);
          const result = loadDocumentValue(await reply.json());
          entry = result.ok ? { doc: result.doc } : { error: `its pipeline does not load: ${result.message}` };
        } catch (e) {
          entry = { error: (e as Error).message };
        }
        if (!cancelled) setLoaded((l) => ({ ...l, [id]: entry }));
      })();
    }
    return () => {
      cancelled = true;
    };
  }, [ids.join(',')]);
  return loaded;
}

/** Stops the sweep the view was opened from (`?sweep=`) while any of its runs may still train. */
function StopSweep({ states }: { states: (RunState | undefined)[] }) {
  const sweepId = useSearchParams().get('sweep');
  const [asked, setAsked] = useState(false);
  if (!sweepId || !RUN_ID.test(sweepId) || !states.some((s) => s && isActive(s))) return null;
  const stop = async () => {
    setAsked(true);
    await fetch(`/api/sweeps/${sweepId}/stop`, { method: 'POST' }).catch(() => setAsked(false));
  };
  return (
    <button
      type="button"
      className="button danger"
      data-testid="sweep-stop"
      disabled={asked}
      onClick={() => void stop()}
      title="Stop the run that trains and cancel the points still waiting (finished points keep their results)"
    >
      ■ Stop sweep
    </button>
  );
}

function useRunIds(): string[] {
  const params = useSearchParams();
  const text = params.get('runs') ?? '';
  return useMemo(
    () =>
      [
        ...new Set(
          text
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
        ),
      ].slice(0, MAX_RUNS),
    [text],
  );
}

export default function ComparePage() {
  useRunsList();
  const ids = useRunIds();
  const pipelines = usePipelines(ids);
  const readable = ids.filter((id) => pipelines[id] && 'doc' in pipelines[id]);
  const unreadable = ids.filter((id) => pipelines[id] && 'error' in pipelines[id]);
  const views = useRuns(useShallow((s) => readable.map((id) => s.runs[id])));
  const statuses = useRuns(useShallow((s) => readable.map((id) => s.statuses[id] ?? s.runs[id]?.status)));
  const [xAxis, setXAxis] = useState<XAxis>('step');
  const [smoothing, setSmoothing] = useState(0);
  const [logY, setLogY] = useState(false);

  const colors = Object.fromEntries(readable.map((id, i) => [id, RUN_COLORS[i % RUN_COLORS.length]]));
  // The same arrays until a pipeline loads or an edit arrives: the graph diff is laid out again only
  // then, not at every event batch. Each run's hot edits, as its stream reports them, are part of its
  // effective graph.
  const docs = useMemo(() => readable.map((id) => (pipelines[id] as { doc: Pipeline }).doc), [pipelines, readable.join(',')]);
  const editCounts = views.map((v) => v?.edits?.length ?? 0).join(',');
  const edits = useMemo(() => views.map((v) => v?.edits), [editCounts]);
  const labels = readable.map((id, i) => {
    const sweep = (statuses[i] as { sweep?: { values: Record<string, unknown> } } | undefined)?.sweep;
    if (sweep)
      return Object.entries(sweep.values)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ');
    return runLabel(docs, edits, i);
  });
  const rows = readable.map((id, i) => compareRow(id, statuses[i], views[i], labels[i]));
  const key = `${readable.join(',')}|${views.map((v) => v?.lastSeq ?? 0).join(',')}|${xAxis}|${smoothing}`;
  const charts = useMemo(
    () =>
      CURVES.map((curve) => ({
        ...curve,
        data: alignCurves(views.map((v) => runCurve(v, curve.name, xAxis, smoothing))),
      })),
    [key],
  );
  // The key above names the runs; the charts' legends keep to what tells them apart.
  const series = readable.map((id, i) => ({ label: labels[i] === 'reference' ? id : labels[i], color: colors[id], points: false }));
  const diffRuns = useMemo(
    () => readable.map((id, i) => ({ label: labels[i] === 'reference' ? `${id} (reference)` : labels[i], color: colors[id] })),
    [readable.join(','), labels.join('|')],
  );

  return (
    <div className="runs-page compare-page" data-testid="compare" data-runs={readable.length}>
      {ids.map((id) => RUN_ID.test(id) && <Watch key={id} runId={id} />)}
      <header className="toolbar">
        <Brand linkHome />
        <div className="doc-name">
          Compare {readable.length} run{readable.length === 1 ? '' : 's'}
        </div>
        <nav className="actions">
          <StopSweep states={statuses.map((st) => st?.state)} />
          <Link href="/runs" className="button">
            Runs
          </Link>
          <Link href="/" className="button">
            ← Studio
          </Link>
        </nav>
      </header>
      <main className="runs-main">
        {ids.length === 0 && (
          <p className="muted">
            No runs to compare: tick runs on the <Link href="/runs">runs page</Link>.
          </p>
        )}
        {unreadable.length > 0 && (
          <ul className="compare-missing" data-testid="compare-missing">
            {unreadable.map((id) => (
              <li key={id}>
                Run <code>{id}</code> cannot be shown: {(pipelines[id] as { error: string }).error}.
              </li>
            ))}
          </ul>
        )}
        {readable.length > 0 && (
          <>
            <section className="overlay compare-controls">
              <div className="overlay-head">
                <ul className="overlay-keys">
                  {readable.map((id, i) => (
                    <li key={id}>
                      <i style={{ background: colors[id] }} />
                      <b>{statuses[i]?.name ?? id}</b> <span className="muted">{labels[i]}</span>
                    </li>
                  ))}
                </ul>
              </div>
              <div className="compare-options">
                <label>
                  x axis{' '}
                  <select value={xAxis} onChange={(e) => setXAxis(e.target.value as XAxis)} data-testid="compare-x">
                    {X_AXES.map((x) => (
                      <option key={x.value} value={x.value}>
                        {x.label}
                      </option>
                    ))}
                  </select>
                </label>
                <label>
                  smoothing{' '}
                  <input
                    type="range"
                    min={0}
                    max={0.99}
                    step={0.01}
                    value={smoothing}
                    onChange={(e) => setSmoothing(Number(e.target.value))}
                    data-testid="compare-smoothing"
                  />{' '}
                  <span className="num">{smoothing.toFixed(2)}</span>
                </label>
                <label>
                  <input type="checkbox" checked={logY} onChange={(e) => setLogY(e.target.checked)} data-testid="compare-log" /> log scale
                </label>
              </div>
            </section>
            <section className="compare-charts">
              {charts.map((c) => (
                <div key={c.name} className="compare-chart-box">
                  <Chart
                    testId="compare-chart"
                    title={c.title}
                    data={c.data}
                    series={series}
                    xLabel={X_AXES.find((x) => x.value === xAxis)!.label.toLowerCase()}
                    logY={logY && c.name !== 'lr'}
                    format={c.name === 'lr' ? formatRate : undefined}
                    empty="Waiting for the runs' numbers…"
                  />
                </div>
              ))}
            </section>
            <CompareTable rows={rows} colors={colors} />
            {docs.length > 1 && <GraphDiff docs={docs} edits={edits} runs={diffRuns} />}
          </>
        )}
      </main>
    </div>
  );
}
