// The compare view's table: one row per run in its chart colour, sortable by any column,
// downloadable as CSV.
import Link from 'next/link';
import { useState } from 'react';
import { sortRows, toCsv, type CompareRow, type SortKey } from '../lib/compare';
import { formatCount, formatValue } from '../lib/live-view';
import { RunStateBadge } from './RunStateBadge';
import type { RunState } from '../lib/run-stream';

const num = (v: number | undefined, format: (v: number) => string = formatValue) => (v === undefined ? '–' : format(v));
const withStep = (v: number | undefined, step: number | undefined) => (v === undefined ? '–' : `${formatValue(v)} @ ${step}`);

const COLUMNS: { key: SortKey; label: string; numeric?: boolean; cell: (r: CompareRow) => React.ReactNode }[] = [
  {
    key: 'name',
    label: 'Run',
    cell: (r) => (
      <>
        <Link href={`/runs/${r.id}`}>{r.name}</Link>
        <div className="muted small" title={r.label}>
          {r.label}
        </div>
      </>
    ),
  },
  { key: 'executor', label: 'Executor · backend', cell: (r) => r.executor },
  { key: 'parameters', label: 'Params', numeric: true, cell: (r) => num(r.parameters, formatCount) },
  { key: 'tokens', label: 'Tokens', numeric: true, cell: (r) => num(r.tokens, formatCount) },
  { key: 'bestValLoss', label: 'Best val loss', numeric: true, cell: (r) => withStep(r.bestValLoss, r.bestValStep) },
  { key: 'finalValLoss', label: 'Final val loss', numeric: true, cell: (r) => withStep(r.finalValLoss, r.finalValStep) },
  { key: 'wallS', label: 'Wall time', numeric: true, cell: (r) => (r.wallS === undefined ? '–' : `${r.wallS.toFixed(1)} s`) },
  { key: 'tokensPerSec', label: 'Tokens/s', numeric: true, cell: (r) => num(r.tokensPerSec, (v) => Math.round(v).toLocaleString('en-US')) },
  { key: 'state', label: 'State', cell: (r) => <RunStateBadge state={r.state as RunState} /> },
];

function downloadCsv(rows: CompareRow[]): void {
  const url = URL.createObjectURL(new Blob([toCsv(rows)], { type: 'text/csv' }));
  const a = Object.assign(document.createElement('a'), { href: url, download: 'compare.csv' });
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function CompareTable({ rows, colors }: { rows: CompareRow[]; colors: Record<string, string> }) {
  const [sort, setSort] = useState<{ key: SortKey; descending: boolean } | null>(null);
  const shown = sort ? sortRows(rows, sort.key, sort.descending) : rows;
  const toggle = (key: SortKey) => setSort((s) => (s?.key === key ? { key, descending: !s.descending } : { key, descending: false }));
  return (
    <section className="runs-list compare-table-box">
      <div className="runs-list-head">
        <h2>Runs</h2>
        <button type="button" className="button" data-testid="compare-csv" onClick={() => downloadCsv(shown)}>
          Export CSV
        </button>
      </div>
      <div className="runs-table-wrap">
        <table className="runs-table" data-testid="compare-table">
          <thead>
            <tr>
              <th aria-label="Colour" />
              {COLUMNS.map((c) => (
                <th
                  key={c.key}
                  className={c.numeric ? 'num sortable' : 'sortable'}
                  aria-sort={sort?.key === c.key ? (sort.descending ? 'descending' : 'ascending') : 'none'}
                >
                  <button type="button" onClick={() => toggle(c.key)}>
                    {c.label}
                    {sort?.key === c.key ? (sort.descending ? ' ▾' : ' ▴') : ''}
                  </button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => (
              <tr key={r.id} data-testid="compare-row" data-run-id={r.id}>
                <td>
                  <i className="swatch-dot" style={{ background: colors[r.id] }} />
                </td>
                {COLUMNS.map((c) => (
                  <td key={c.key} className={c.numeric ? 'num' : undefined} data-col={c.key}>
                    {c.cell(r)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
