'use client';
// The Data page: the server's dataset library. Upload a file, watch it tokenize, see each
// dataset's stats and the first tokens of its train split; cancel or delete.
import Link from 'next/link';
import { useEffect, useMemo, useState } from 'react';
import { cancelDataset, deleteDataset, fetchPreview, useDatasets, type DatasetPreview, type DatasetStatus } from '../lib/datasets-client';
import { Brand } from './Brand';
import { DatasetState, formatCount } from './DatasetState';
import { DatasetUpload } from './DatasetUpload';
import { TokenStrip } from './TokenStrip';

function Preview({ id }: { id: string }) {
  const [preview, setPreview] = useState<DatasetPreview | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    fetchPreview(id, 'train', 0, 256).then(setPreview, (e: Error) => setError(e.message));
  }, [id]);
  if (error) return <div className="field-error">{error}</div>;
  if (!preview) return <div className="muted small">Loading…</div>;
  return (
    <div data-testid="dataset-preview">
      <p className="muted small">
        First {preview.ids.length} of {preview.total.toLocaleString('en-US')} train tokens; hover a token for its id.
      </p>
      <TokenStrip ids={preview.ids} tokens={preview.tokens} />
    </div>
  );
}

function Row({ status, open, onOpen }: { status: DatasetStatus; open: boolean; onOpen: () => void }) {
  const [problem, setProblem] = useState<string | null>(null);
  const act = (action: () => Promise<unknown>) => action().catch((e: Error) => setProblem(e.message));
  return (
    <>
      <tr data-testid="dataset-row" data-dataset-id={status.id} data-state={status.state}>
        <td>
          <b>{status.name}</b> <code className="muted small">{status.id}</code>
        </td>
        <td>
          <DatasetState status={status} />
        </td>
        <td className="num">{formatCount(status.train_tokens)}</td>
        <td className="num">{formatCount(status.valid_tokens)}</td>
        <td>{status.tokenizer}</td>
        <td className="num">{status.vocab_size ?? '—'}</td>
        <td className="num">{status.bytes_per_token?.toFixed(2) ?? '—'}</td>
        <td className="num" title="the loss of a model that knows only token frequencies">
          {status.unigram_entropy?.toFixed(3) ?? '—'}
        </td>
        <td className="actions">
          {status.state === 'ready' && (
            <button type="button" className="button small" data-testid="dataset-preview-toggle" onClick={onOpen}>
              {open ? 'Hide' : 'Preview'}
            </button>
          )}
          {status.state === 'tokenizing' && (
            <button type="button" className="button small" onClick={() => act(() => cancelDataset(status.id))}>
              Cancel
            </button>
          )}
          {!status.bundled && (
            <button type="button" className="button small danger" data-testid="dataset-delete" onClick={() => act(() => deleteDataset(status.id))}>
              Delete
            </button>
          )}
          {problem && <div className="field-error small">{problem}</div>}
        </td>
      </tr>
      {open && (
        <tr>
          <td colSpan={9}>
            <Preview id={status.id} />
          </td>
        </tr>
      )}
    </>
  );
}

export default function DatasetsPage() {
  const { datasets, loaded, error } = useDatasets();
  const [open, setOpen] = useState<string | null>(null);
  const list = useMemo(() => Object.values(datasets).sort((a, b) => Number(b.bundled) - Number(a.bundled) || a.name.localeCompare(b.name)), [datasets]);
  return (
    <div className="runs-page datasets-page">
      <header className="toolbar">
        <Brand linkHome />
        <div className="doc-name">Data</div>
        <nav className="actions">
          <Link href="/runs" className="button">
            Runs
          </Link>
          <Link href="/" className="button">
            ← Studio
          </Link>
        </nav>
      </header>
      <main className="runs-main datasets-main">
        <section>
          <h2>Add a dataset</h2>
          <DatasetUpload />
        </section>
        <section>
          <h2>Library</h2>
          {error && <div className="field-error">{error}</div>}
          {!loaded ? (
            <p className="muted">Loading…</p>
          ) : (
            <table className="runs-table" data-testid="datasets-table">
              <thead>
                <tr>
                  <th>Dataset</th>
                  <th>State</th>
                  <th className="num">Train</th>
                  <th className="num">Valid</th>
                  <th>Tokenizer</th>
                  <th className="num">Vocab</th>
                  <th className="num">Bytes/token</th>
                  <th className="num">Unigram entropy</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {list.map((d) => (
                  <Row key={d.id} status={d} open={open === d.id} onOpen={() => setOpen(open === d.id ? null : d.id)} />
                ))}
              </tbody>
            </table>
          )}
        </section>
      </main>
    </div>
  );
}
