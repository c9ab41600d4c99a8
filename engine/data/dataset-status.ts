// A library dataset as the API reports it (GET /api/datasets, the `datasets` socket event): the
// server builds it (server/datasets/library.ts), the studio reads it (lib/datasets-client.ts).

export interface DatasetProgress {
  phase: 'uploading' | 'extracting' | 'training' | 'encoding';
  fraction: number; // of this phase, 0..1
  bytes_read: number;
  bytes_total: number | null; // null while uploading without a declared length
  tokens_written: number;
  eta_s: number | null; // seconds left in this phase, once there is a rate to go by
}

/** One dataset, as GET /api/datasets/:id returns it. */
export interface DatasetStatus {
  id: string;
  name: string;
  state: 'tokenizing' | 'ready' | 'failed';
  progress: DatasetProgress | null;
  train_tokens: number | null;
  valid_tokens: number | null;
  vocab_size: number | null;
  unigram_entropy: number | null; // nats per token over the train split
  bytes_per_token: number | null;
  tokenizer: string;
  format: string;
  bundled: boolean; // the Brown corpus: listed, never deleted
  error?: string;
}
