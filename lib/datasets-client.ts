// The page's view of the server's dataset library: the list (GET /api/datasets) kept current by
// the socket's `datasets` events, uploads (POST /api/datasets, the file as the body), cancel,
// delete and previews. Shapes are those of docs/api.md ("Datasets").
import { useEffect } from 'react';
import { create } from 'zustand';
import { getSocket } from './run-client';
import { useStudio } from './store';
import type { DatasetProgress, DatasetStatus } from '../engine/data/dataset-status';

export type { DatasetProgress, DatasetStatus };

export interface DatasetPreview {
  split: 'train' | 'valid';
  offset: number;
  total: number;
  ids: number[];
  tokens: string[] | null;
  text: string | null;
}

/** What to make of an uploaded file. */
export interface UploadOptions {
  name: string;
  tokenizer: 'byte' | 'bpe' | 'gpt2';
  vocabSize?: number;
  validFraction?: number;
  format: 'txt' | 'jsonl' | 'parquet' | 'npy';
  field?: string;
}

interface DatasetsState {
  datasets: Record<string, DatasetStatus>;
  loaded: boolean;
  error: string | null;
  apply(status: DatasetStatus | { id: string; deleted: true }): void;
}

export const useDatasetStore = create<DatasetsState>((set) => ({
  datasets: {},
  loaded: false,
  error: null,
  apply: (status) =>
    set((s) => {
      const datasets = { ...s.datasets };
      if ('deleted' in status) delete datasets[status.id];
      else datasets[status.id] = status;
      return { datasets };
    }),
}));

let listening = false;

async function load(): Promise<void> {
  try {
    const reply = await fetch('/api/datasets', { cache: 'no-store' });
    const body = (await reply.json()) as { datasets?: DatasetStatus[]; error?: string };
    if (!reply.ok) throw new Error(body.error ?? `HTTP ${reply.status}`);
    useDatasetStore.setState({ datasets: Object.fromEntries(body.datasets!.map((d) => [d.id, d])), loaded: true, error: null });
  } catch (e) {
    useDatasetStore.setState({ error: `cannot list the datasets: ${(e as Error).message}`, loaded: true });
  }
}

/** Keeps the store current while a component that lists datasets is mounted. */
export function useDatasets(): DatasetsState {
  useEffect(() => {
    if (!listening) {
      listening = true;
      const socket = getSocket();
      socket.on('datasets', (status: DatasetStatus | { id: string; deleted: true }) => useDatasetStore.getState().apply(status));
      socket.on('connect', () => void load());
    }
    void load();
  }, []);
  return useDatasetStore();
}

async function reply<T>(response: Response): Promise<T> {
  const body = (await response.json().catch(() => ({}))) as T & { error?: string };
  if (!response.ok) throw new Error(body.error ?? `HTTP ${response.status}`);
  return body;
}

/**
 * Uploads `file`; resolves with the new dataset's id once the server has it all (202).
 * @example const id = await uploadDataset(file, { name: file.name, tokenizer: 'byte', format: 'txt' });
 */
export async function uploadDataset(file: Blob, options: UploadOptions): Promise<string> {
  const query = new URLSearchParams({ name: options.name, tokenizer: options.tokenizer, format: options.format });
  if (options.tokenizer === 'bpe' && options.vocabSize !== undefined) query.set('vocab_size', String(options.vocabSize));
  if (options.validFraction !== undefined) query.set('valid_fraction', String(options.validFraction));
  if (options.field && (options.format === 'jsonl' || options.format === 'parquet')) query.set('field', options.field);
  const response = await fetch(`/api/datasets?${query}`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: file });
  return (await reply<{ id: string }>(response)).id;
}

export const cancelDataset = async (id: string) => reply(await fetch(`/api/datasets/${encodeURIComponent(id)}/cancel`, { method: 'POST' }));
export const deleteDataset = async (id: string) => reply(await fetch(`/api/datasets/${encodeURIComponent(id)}`, { method: 'DELETE' }));

export async function fetchPreview(id: string, split: 'train' | 'valid', offset: number, length: number): Promise<DatasetPreview> {
  return reply(await fetch(`/api/datasets/${encodeURIComponent(id)}/preview?split=${split}&offset=${offset}&length=${length}`, { cache: 'no-store' }));
}

/** The upload format a file name suggests. */
export function formatOf(fileName: string): UploadOptions['format'] {
  const ext = fileName.toLowerCase().split('.').pop();
  return ext === 'jsonl' || ext === 'ndjson' ? 'jsonl' : ext === 'parquet' ? 'parquet' : ext === 'npy' ? 'npy' : 'txt';
}

/** The unigram entropy of the library dataset the studio's pipeline reads, once it is ready. */
export function useLibraryEntropy(): number | null {
  const id = useStudio((s) => {
    const params = s.doc.nodes.find((n) => n.type === 'dataset')?.params as { source?: unknown; dataset?: unknown } | undefined;
    return params?.source === 'library' && typeof params.dataset === 'string' ? params.dataset : '';
  });
  const { datasets } = useDatasets();
  return (id && datasets[id]?.unigram_entropy) || null;
}
