// A run's curves: train and validation loss, learning rate, gradient norm, throughput.
import { useMemo } from 'react';
import uPlot from 'uplot';
import { formatCount, formatValue } from '../lib/live-view';
import type { RunCharts as Charts } from '../lib/run-stream';
import { Chart } from './Chart';

export const TRAIN_COLOR = '#2563eb';
export const VAL_COLOR = '#dc2626';

/** Learning rates in one exponent form, so the ticks line up (1.0e-2, 7.5e-3, ...). */
const formatLr = (v: number) => (v === 0 ? '0' : Math.abs(v) < 0.1 ? v.toExponential(1).replace(/e-0*/, 'e-') : formatValue(v));

export const ENTROPY_COLOR = '#6b7280';

export const PARENT_COLOR = '#a855f7';

/** [x, y] tables joined on x; with a parent run's table after each of the run's own. */
function joined(own: uPlot.AlignedData[], parent: uPlot.AlignedData[] | undefined): uPlot.AlignedData {
  return uPlot.join(parent ? [...own, ...parent] : own);
}

/**
 * `empty`: what an empty chart says (it depends on the run's state). `entropy`: the unigram
 * entropy of the run's dataset, drawn dashed on the loss chart: the loss of a model that knows
 * only token frequencies. `edits`: the run's live edits, marked on every chart at their step.
 * `parent`: a fork's parent's curves, drawn thin beside the run's (the run page's overlay).
 */
export function RunCharts({
  charts,
  empty = 'No points yet.',
  entropy,
  edits = [],
  parent,
}: {
  charts: Charts;
  empty?: string;
  entropy?: number | null;
  edits?: readonly { step: number }[];
  parent?: Charts;
}) {
  const markers = useMemo(() => [...new Set(edits.map((e) => e.step))], [edits]);
  const loss = useMemo(() => {
    const theirs: uPlot.AlignedData[] | undefined = parent && [
      [parent.step, parent.loss],
      [parent.evalStep, parent.val_loss],
    ];
    const all = joined(
      [
        [charts.step, charts.loss],
        [charts.evalStep, charts.val_loss],
      ],
      theirs,
    );
    return entropy == null ? all : ([...all, all[0].map(() => entropy)] as uPlot.AlignedData);
  }, [charts, entropy, parent]);
  const parentLoss = parent
    ? [
        { label: 'parent train', color: PARENT_COLOR, width: 1 },
        { label: 'parent val', color: PARENT_COLOR, dash: [5, 4], points: true },
      ]
    : [];
  const lossSeries = [
    { label: 'train', color: TRAIN_COLOR },
    { label: 'val', color: VAL_COLOR, points: true, width: 2 },
    ...parentLoss,
    ...(entropy == null ? [] : [{ label: 'unigram entropy', color: ENTROPY_COLOR, dash: [6, 4] }]),
  ];
  const lr = useMemo(() => joined([[charts.step, charts.lr]], parent && [[parent.step, parent.lr]]), [charts, parent]);
  const grad = useMemo(() => joined([[charts.step, charts.grad_norm]], parent && [[parent.step, parent.grad_norm]]), [charts, parent]);
  const rate = useMemo((): uPlot.AlignedData => [charts.step, charts.tokens_per_sec], [charts]);
  const withParent = (label: string, color: string) => [{ label, color }, ...(parent ? [{ label: `parent ${label}`, color: PARENT_COLOR, width: 1 }] : [])];
  return (
    <div className="run-charts" data-parent={parent ? 'shown' : undefined}>
      <Chart testId="chart-loss" markers={markers} title="Loss" data={loss} series={lossSeries} empty={empty} />
      <Chart testId="chart-lr" markers={markers} title="Learning rate" data={lr} series={withParent('lr', '#ca8a04')} format={formatLr} empty={empty} />
      <Chart testId="chart-grad" markers={markers} title="Grad norm" data={grad} series={withParent('grad norm', '#ea580c')} empty={empty} />
      <Chart
        testId="chart-tokens"
        markers={markers}
        title="Tokens / s"
        data={rate}
        series={[{ label: 'tokens/s', color: '#0d9488' }]}
        format={formatCount}
        empty={empty}
      />
    </div>
  );
}
