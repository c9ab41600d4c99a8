// The runtime's only window on the outside world. Node, the browser and tests each provide one.
import type { CheckpointStore } from '../checkpoint/checkpoint-store';
import type { ByteSource } from '../data/byte-source';

/** What a `dataset` node asks for. */
export interface DatasetRequest {
  source: 'brown' | 'files' | 'library';
  /** For source 'brown': how the bundled corpus is tokenized. */
  tokenizer: 'byte' | 'bpe' | 'gpt2';
  /** For tokenizer 'bpe': the trained vocabulary size. */
  vocabSize: number;
  /** For source 'files': paths (or names the host understands) of the two .npy files. */
  trainPath: string;
  validPath: string;
  /** For source 'library': the dataset's id in the server's library. */
  dataset?: string;
}

/** Facts stored next to ids files by the tokenizer (meta.json), when present. */
export interface DatasetMeta {
  vocab_size?: number;
  max_id?: number;
  tokenizer?: string;
}

export interface DatasetFiles {
  train: ByteSource;
  valid: ByteSource;
  meta?: DatasetMeta;
  /** tokenizer.json contents, used to decode samples; absent means byte-level. */
  tokenizer?: unknown;
}

export interface RuntimeIO {
  /** Opens the ids files a dataset node describes (preparing the bundled corpus on first use). */
  openDataset(request: DatasetRequest): Promise<DatasetFiles>;
  checkpoints: CheckpointStore;
  /** Appends one JSON line to train_log.jsonl. */
  appendLog(line: string): Promise<void>;
  /** Appends one JSON line to samples.jsonl. */
  appendSample(line: string): Promise<void>;
}
