// Upload a file to the dataset library: drop it (or pick it), choose how to tokenize it, send it.
// Progress shows in the library list (the socket's `datasets` events).
import { useState } from 'react';
import { formatOf, uploadDataset, type UploadOptions } from '../lib/datasets-client';

const TOKENIZERS = ['byte', 'bpe', 'gpt2'] as const;

export function DatasetUpload({ onUploaded, compact }: { onUploaded?: (id: string) => void; compact?: boolean }) {
  const [file, setFile] = useState<File | null>(null);
  const [options, setOptions] = useState<UploadOptions>({ name: '', tokenizer: 'byte', format: 'txt', vocabSize: 1024, validFraction: 0.1, field: 'text' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [over, setOver] = useState(false);
  const choose = (f: File | undefined) => {
    if (!f) return;
    setFile(f);
    setError(null);
    setOptions((o) => ({ ...o, name: f.name.replace(/\.[^.]+$/, '') || f.name, format: formatOf(f.name) }));
  };
  const set = (patch: Partial<UploadOptions>) => setOptions((o) => ({ ...o, ...patch }));
  const send = async () => {
    if (!file) return;
    setBusy(true);
    setError(null);
    try {
      const id = await uploadDataset(file, options);
      setFile(null);
      onUploaded?.(id);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className={compact ? 'dataset-upload compact' : 'dataset-upload'} data-testid="dataset-upload">
      <label
        className={over ? 'drop-zone is-over' : 'drop-zone'}
        data-testid="dataset-drop"
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          choose(e.dataTransfer.files[0]);
        }}
      >
        <input type="file" data-testid="dataset-file" onChange={(e) => choose(e.target.files?.[0])} />
        {file ? <b>{file.name}</b> : 'Drop a text, .jsonl, .parquet or .npy file here, or click to choose'}
        {file && <span className="muted small"> · {(file.size / 1e6).toFixed(2)} MB</span>}
      </label>
      {file && (
        <div className="upload-options">
          <label>
            Name <input className="input" data-testid="upload-name" value={options.name} onChange={(e) => set({ name: e.target.value })} />
          </label>
          <label>
            Format
            <select className="input" value={options.format} onChange={(e) => set({ format: e.target.value as UploadOptions['format'] })}>
              {['txt', 'jsonl', 'parquet', 'npy'].map((f) => (
                <option key={f}>{f}</option>
              ))}
            </select>
          </label>
          {(options.format === 'jsonl' || options.format === 'parquet') && (
            <label>
              {options.format === 'jsonl' ? 'Field' : 'Column'}{' '}
              <input className="input" value={options.field ?? ''} onChange={(e) => set({ field: e.target.value })} />
            </label>
          )}
          <label>
            Tokenizer
            <select
              className="input"
              data-testid="upload-tokenizer"
              value={options.tokenizer}
              onChange={(e) => set({ tokenizer: e.target.value as UploadOptions['tokenizer'] })}
            >
              {TOKENIZERS.map((t) => (
                <option key={t}>{t}</option>
              ))}
            </select>
          </label>
          {options.tokenizer === 'bpe' && (
            <label>
              Vocab size{' '}
              <input
                className="input"
                type="number"
                min={257}
                max={65535}
                value={options.vocabSize}
                onChange={(e) => set({ vocabSize: Number(e.target.value) })}
              />
            </label>
          )}
          <label>
            Validation{' '}
            <input
              className="input"
              type="number"
              min={0}
              max={0.5}
              step={0.01}
              value={options.validFraction}
              onChange={(e) => set({ validFraction: Number(e.target.value) })}
            />
          </label>
          <button type="button" className="button primary" data-testid="upload-start" disabled={busy || !options.name} onClick={send}>
            {busy ? 'Uploading…' : 'Upload and tokenize'}
          </button>
        </div>
      )}
      {error && (
        <div className="field-error" data-testid="upload-error">
          {error}
        </div>
      )}
    </div>
  );
}
