// A line chart over steps (uPlot): a title with a legend that shows the latest values, or the
// values under the cursor; axes in the studio's palette; drag to zoom, double-click to reset.
// The chart fills its box and follows its size; new data is drawn without recreating the plot.
import { useEffect, useMemo, useRef, useState } from 'react';
import uPlot from 'uplot';
import { useTheme } from './theme-mode';
import { formatValue } from '../lib/live-view';

export interface ChartSeries {
  label: string;
  color: string;
  /** Dash pattern (validation curves). */
  dash?: number[];
  /** Draw a dot per point (sparse series such as evaluations). */
  points?: boolean;
  width?: number;
}

export interface ChartProps {
  title: string;
  /** [x, ...one array per series], x strictly increasing; null where a series has no point. */
  data: uPlot.AlignedData;
  series: ChartSeries[];
  /** Tick and legend numbers. */
  format?: (v: number) => string;
  testId?: string;
  /** Shown over an empty chart. */
  empty?: string;
  /** The x axis's name (default step). */
  xLabel?: string;
  /** A log-scale y axis (values must be > 0). */
  logY?: boolean;
  /** Steps marked with a vertical line (live edits of the run). */
  markers?: number[];
}

const MARKER_COLOR = '#7c3aed';

/** Dots where a series has too few values to draw a line (a run with one val point shows it). */
const fewPoints = (u: uPlot, seriesIdx: number): boolean => {
  const data = u.data[seriesIdx] as ArrayLike<number | null | undefined>;
  let values = 0;
  for (let i = 0; i < data.length; i++) if (data[i] != null) values++;
  return values < 3;
};

/** Dashed vertical lines at the marked steps, over the plot area. */
function drawMarkers(u: uPlot, steps: readonly number[]): void {
  const { ctx, bbox } = u;
  ctx.save();
  ctx.strokeStyle = MARKER_COLOR;
  ctx.lineWidth = Math.max(1, devicePixelRatio);
  ctx.setLineDash([5 * devicePixelRatio, 4 * devicePixelRatio]);
  for (const step of steps) {
    const x = Math.round(u.valToPos(step, 'x', true));
    if (x < bbox.left || x > bbox.left + bbox.width) continue;
    ctx.beginPath();
    ctx.moveTo(x, bbox.top);
    ctx.lineTo(x, bbox.top + bbox.height);
    ctx.stroke();
  }
  ctx.restore();
}

const FONT = '11px ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif';
/** Axis colours from the stylesheet's variables (the plot draws on a canvas: it needs the values). */
function axisColours(): uPlot.Axis {
  const css = getComputedStyle(document.documentElement);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  return {
    stroke: v('--muted', '#6b7280'),
    font: FONT,
    labelFont: FONT,
    grid: { stroke: v('--surface-3', '#eef0f3'), width: 1 },
    ticks: { stroke: v('--line', '#e2e5ea'), width: 1, size: 4 },
  };
}

/** Last non-null value of a series at or before index `i`. */
function valueAt(values: uPlot.AlignedData[number], i: number): number | null {
  for (let j = Math.min(i, values.length - 1); j >= 0; j--) {
    const v = values[j];
    if (v !== null && v !== undefined && Number.isFinite(v as number)) return v as number;
  }
  return null;
}

export function Chart({
  title,
  data,
  series,
  format = formatValue,
  testId,
  empty = 'No points yet.',
  xLabel = 'step',
  logY = false,
  markers = [],
}: ChartProps) {
  const markersRef = useRef(markers);
  markersRef.current = markers;
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const latest = useRef(data);
  latest.current = data;
  const [hover, setHover] = useState<number | null>(null);
  const { theme } = useTheme();
  const seriesKey = JSON.stringify([series, xLabel, logY]);
  const formatRef = useRef(format);
  formatRef.current = format;
  /** Whether the user zoomed in (drag); new points then keep the zoom until a double-click. */
  const zoomed = useRef(false);

  useEffect(() => {
    const el = box.current!;
    const size = () => ({ width: Math.max(120, Math.floor(el.clientWidth)), height: Math.max(80, Math.floor(el.clientHeight)) });
    const fmt = (v: number) => formatRef.current(v);
    const axis = axisColours();
    const opts: uPlot.Options = {
      ...size(),
      legend: { show: false },
      cursor: { drag: { x: true, y: false, setScale: true }, points: { size: 6 } },
      scales: { x: { time: false }, ...(logY ? { y: { distr: 3 } } : {}) },
      axes: [
        {
          ...axis,
          label: xLabel,
          labelSize: 14,
          labelGap: 0,
          size: 24,
          space: 36,
          values: (_u, splits) => splits.map((v) => (Number.isInteger(v) ? formatValue(v) : '')),
        },
        { ...axis, size: 48, values: (_u, splits) => splits.map(fmt) },
      ],
      series: [
        { label: xLabel },
        ...series.map((s): uPlot.Series => ({
          label: s.label,
          stroke: s.color,
          width: s.width ?? 1.5,
          spanGaps: true,
          ...(s.dash ? { dash: s.dash } : {}),
          points: { show: s.points ?? fewPoints, size: 5, fill: s.color, stroke: s.color },
        })),
      ],
      hooks: {
        setCursor: [(u) => setHover(u.cursor.idx ?? null)],
        setSelect: [(u) => void (u.select.width > 0 && (zoomed.current = true))],
        draw: [(u) => drawMarkers(u, markersRef.current)],
      },
    };
    const u = new uPlot(opts, latest.current, el);
    plot.current = u;
    const observer = new ResizeObserver(() => u.setSize(size()));
    observer.observe(el);
    return () => {
      observer.disconnect();
      u.destroy();
      plot.current = null;
    };
    // The plot is rebuilt only when its series or the theme change; data goes through setData below.
  }, [seriesKey, theme]);

  useEffect(() => {
    const u = plot.current;
    if (!u) return;
    u.setData(data, !zoomed.current);
  }, [data]);
  // Markers are drawn with the plot: a run's next points (which follow its edit) bring them in.

  const count = data[0].length;
  const points = useMemo(() => {
    let n = 0;
    const values = (data[1] ?? []) as ArrayLike<number | null | undefined>;
    for (let i = 0; i < values.length; i++) if (values[i] !== null && values[i] !== undefined) n++;
    return n;
  }, [data]);
  const index = hover ?? count - 1;
  return (
    <figure className="chart" data-testid={testId} data-points={points} data-markers={markers.length}>
      <figcaption className="chart-head">
        <span className="chart-title">{title}</span>
        <span className="chart-legend">
          {series.map((s, i) => {
            const v = count ? valueAt(data[i + 1], index) : null;
            return (
              <span key={s.label} className="chart-key" title={s.label}>
                <i style={{ background: s.color }} className={s.dash ? 'dashed' : undefined} />
                {series.length > 1 && <span className="muted">{s.label}</span>}
                <b>{v === null ? '–' : format(v)}</b>
              </span>
            );
          })}
          {hover !== null && count > 0 && <span className="muted">@ {formatValue(data[0][Math.min(hover, count - 1)] as number)}</span>}
        </span>
      </figcaption>
      <div
        className="chart-plot"
        ref={box}
        onDoubleClick={() => {
          zoomed.current = false;
          plot.current?.setData(latest.current, true);
        }}
      >
        {points === 0 && <div className="chart-empty muted small">{empty}</div>}
      </div>
    </figure>
  );
}
