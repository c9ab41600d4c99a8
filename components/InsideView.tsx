// The model's inside view on its inner blocks (lib/model-insides.ts): one small bar chart across
// the layers per metric on the blocks of the repeated transformer block, single numbers on the
// model's own blocks. The row takes the place of the block's param summary while a run is shown
// (the params stay in the inspector and the row's tooltip), so blocks keep their size and the
// stacked layout inside the model does not overlap.
import { useContext, useMemo } from 'react';
import type { PipelineNode } from '../lib/document';
import { insideBars, insideFace, type InsideChart as Chart } from '../lib/model-insides';
import { inspectEvery } from '../lib/model-view';
import { samePipeline, trainedAsIs, useRunPipeline } from '../lib/run-pipelines';
import { useRuns } from '../lib/runs-store';
import { useStudio } from '../lib/store';
import { LiveRunContext } from './live-run';
import { ModelViewContext, type ModelView } from './model-view-context';

/** Chart size in px at zoom 1, by how many charts share the row (the row is 196 px wide). */
const CHART_WIDTH: Record<number, number> = { 1: 132, 2: 62, 3: 36 };
const CHART_HEIGHT = 15;

/** One metric across the layers as bars (lib/model-insides.ts, insideBars); colours from the theme (`--inside-<metric>` in studio.css). */
export function InsideChart({ chart, width, layers, step }: { chart: Chart; width: number; layers: number; step: number }) {
  return (
    <span className="inside-cell" title={chart.title}>
      <span className="k">{chart.label}</span>
      <svg
        className={`inside-chart metric-${chart.metric}`}
        data-testid="inside-chart"
        data-metric={chart.metric}
        data-layers={layers}
        data-step={step}
        data-values={chart.values.map((v) => (v === null ? 'null' : v)).join(',')}
        width={width}
        height={CHART_HEIGHT}
        viewBox={`0 0 ${width} ${CHART_HEIGHT}`}
        role="img"
        aria-label={`${chart.label} by layer`}
      >
        <line className="baseline" x1={0} x2={width} y1={CHART_HEIGHT - 0.5} y2={CHART_HEIGHT - 0.5} />
        {insideBars(chart.values, width, CHART_HEIGHT).map((b, i) => (
          <rect key={i} className={b.finite ? undefined : 'not-finite'} x={b.x} y={b.y} width={b.width} height={b.height} />
        ))}
      </svg>
    </span>
  );
}

/**
 * The inside row of inner block `id` while a run is shown: charts or numbers of the latest view,
 * or a fixed-height placeholder until the first view (and when the view is off).
 */
export function InsideRow({ id, perLayer, summary }: { id: string; perLayer: boolean; summary: string }) {
  const insides = useContext(ModelViewContext)?.insides;
  if (!insides) return null;
  const face = insideFace(insides.view ?? undefined, id, perLayer);
  if (!face) {
    const why = insides.every === 0 ? 'inside view off (inspect_every 0)' : insides.view ? 'no numbers for this block' : 'no inside view yet';
    return (
      <div className="block-live block-inside-row is-waiting" data-testid="inside-waiting" title={summary}>
        {why}
      </div>
    );
  }
  const width = CHART_WIDTH[face.charts.length] ?? CHART_WIDTH[3];
  return (
    <div className="block-live block-inside-row" data-testid="inside-row" title={summary}>
      {face.charts.map((c) => (
        <InsideChart key={c.metric} chart={c} width={width} layers={face.layers} step={face.step} />
      ))}
      {face.values.map((v) => (
        <span key={v.metric} className="live-metric" data-testid="inside-value" data-metric={v.metric} data-value={v.value ?? 'null'} title={v.title}>
          <span className="k">{v.label}</span> {v.text}
        </span>
      ))}
    </div>
  );
}

/** The summary as one line of text, for the inside row's tooltip. */
export function summaryText(summary: readonly (readonly [string, string])[]): string {
  return summary.map(([k, v]) => `${k} ${v}`).join(' · ');
}

/**
 * The run's inside view of model block `model` for the model canvas: undefined when no run is
 * shown or the canvas's model is not the one the run trained (another pipeline, or edited since).
 */
export function useInsides(model: PipelineNode | undefined): ModelView['insides'] {
  const { runId, editing } = useContext(LiveRunContext);
  const trained = useRunPipeline(editing ? runId : null);
  const trainedDoc = trained && 'doc' in trained ? trained.doc : undefined;
  const sameDoc = useStudio((s) => !!trainedDoc && samePipeline(trainedDoc, s.doc));
  const belongs = !!model && (!editing || (sameDoc && trainedAsIs(trainedDoc!, model)));
  const views = useRuns((s) => (runId && belongs ? s.runs[runId]?.insides?.[model!.id] : undefined));
  const shown = useRuns((s) => !!runId && belongs && !!s.runs[runId]);
  const every = model ? inspectEvery(model) : 0;
  const view = views?.at(-1) ?? null;
  return useMemo(() => (shown ? { view, every } : undefined), [shown, view, every]);
}
