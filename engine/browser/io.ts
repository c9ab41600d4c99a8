// RuntimeIO for a browser run (in its Web Worker): dataset ids from the app's bundled corpus over
// HTTP Range requests, from File objects the user picked (read with File.slice), or from text
// tokenized here; checkpoints and logs in memory, each also handed to the page as it is written.
import { blobSource, memorySource } from '../data/byte-source';
import { memoryCheckpointStore, type CheckpointStore } from '../checkpoint/checkpoint-store';
import type { DatasetFiles, DatasetMeta, DatasetRequest, RuntimeIO } from '../runtime/io';
import { corpusFolder, libraryFolder } from './corpus-files';
import { HttpSourceError, httpRangeSource } from './http-source';
import type { BrowserDataset, CheckpointPayload } from './protocol';
import { tokenizeTextDataset, type TextDataset } from './tokenize-text';

export interface BrowserIOOptions {
  /** Ids for dataset nodes with source 'files'. */
  data?: BrowserDataset;
  /** Origin serving /data/brown-*, e.g. 'http://127.0.0.1:3000'. */
  origin: string;
  /** Called with a copy of each checkpoint once it is saved (for the page's downloads). */
  onCheckpoint?(checkpoint: CheckpointPayload): void;
  /** Called with each line appended to train_log.jsonl or samples.jsonl. */
  onLine?(file: 'train_log.jsonl' | 'samples.jsonl', line: string): void;
  fetch?: typeof fetch;
}

/** The whole of a small JSON file the app serves; undefined when it is not there (404). */
async function fetchJson(url: string, doFetch: typeof fetch): Promise<unknown> {
  const response = await doFetch(url);
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

/** A Blob holding JSON (tokenizer.json / meta.json the user picked) or the parsed value itself. */
async function jsonOf(value: unknown, what: string): Promise<unknown> {
  if (typeof Blob !== 'undefined' && value instanceof Blob) {
    try {
      return JSON.parse(await value.text());
    } catch (err) {
      throw new Error(`${what} is not valid JSON (${(err as Error).message})`);
    }
  }
  return value;
}

/**
 * @example
 *   const io = browserIO({ origin: self.location.origin, onCheckpoint: (c) => postMessage({ type: 'checkpoint', ...c }) });
 */
export function browserIO(options: BrowserIOOptions): RuntimeIO & { logLines: string[]; sampleLines: string[]; checkpoints: CheckpointStore } {
  const doFetch = options.fetch ?? fetch.bind(globalThis);
  const logLines: string[] = [];
  const sampleLines: string[] = [];
  const store = memoryCheckpointStore();
  let tokenized: Promise<TextDataset> | undefined; // one text dataset, shared by every dataset node

  const openBundled = async (request: DatasetRequest): Promise<DatasetFiles> => {
    const folder = request.source === 'library' ? libraryFolder(request.dataset ?? '') : corpusFolder(request);
    const base = `${options.origin}/data/${folder}/`;
    const what = request.tokenizer === 'bpe' ? `BPE (vocab ${request.vocabSize})` : request.tokenizer;
    try {
      const [train, valid] = await Promise.all([
        httpRangeSource(base + 'train_ids.npy', { fetch: doFetch }),
        httpRangeSource(base + 'valid_ids.npy', { fetch: doFetch }),
      ]);
      const [meta, tokenizer] = await Promise.all([fetchJson(base + 'meta.json', doFetch), fetchJson(base + 'tokenizer.json', doFetch)]);
      return { train, valid, ...(meta ? { meta: meta as DatasetMeta } : {}), ...(tokenizer ? { tokenizer } : {}) };
    } catch (err) {
      if (err instanceof HttpSourceError && err.status === 404 && request.source === 'library') {
        throw new Error(`dataset: ${request.dataset} is not a ready dataset of this server's library (${err.message})`);
      }
      if (err instanceof HttpSourceError && err.status === 404) {
        throw new Error(
          `the bundled Brown corpus tokenized with ${what} is not prepared on this server (${err.message}); ` +
            `prepare it there with \`npm run tokenize -- --brown --tokenizer ${request.tokenizer}` +
            `${request.tokenizer === 'bpe' ? ` --vocab-size ${request.vocabSize}` : ''} --out data/${folder}\`, ` +
            `or run the pipeline once on the server`,
        );
      }
      if (err instanceof TypeError) throw new Error(`cannot reach ${base} to read the bundled corpus (${err.message})`);
      throw err;
    }
  };

  const openUserData = async (data: BrowserDataset): Promise<DatasetFiles> => {
    if (data.kind === 'files') {
      const meta = (await jsonOf(data.meta, 'meta.json')) as DatasetMeta | undefined;
      const tokenizer = await jsonOf(data.tokenizer, 'tokenizer.json');
      return {
        train: blobSource(data.train),
        valid: blobSource(data.valid),
        ...(meta ? { meta } : {}),
        ...(tokenizer ? { tokenizer } : {}),
      };
    }
    tokenized ??= tokenizeTextDataset(data.text, {
      tokenizer: data.tokenizer,
      ...(data.vocabSize !== undefined ? { vocabSize: data.vocabSize } : {}),
      ...(data.validFraction !== undefined ? { validFraction: data.validFraction } : {}),
    });
    const t = await tokenized;
    return { train: memorySource(t.train, 'train_ids.npy'), valid: memorySource(t.valid, 'valid_ids.npy'), meta: t.meta, tokenizer: t.tokenizer };
  };

  return {
    logLines,
    sampleLines,
    async openDataset(request) {
      if (request.source === 'brown' || request.source === 'library') return openBundled(request);
      if (!options.data) {
        throw new Error(
          `source 'files' in the browser reads files you choose: pick ${request.trainPath} and ${request.validPath} ` +
            `(or a text file to tokenize) when starting the run`,
        );
      }
      return openUserData(options.data);
    },
    checkpoints: {
      ...store,
      async save(name, weights, meta) {
        const entry = await store.save(name, weights, meta);
        // A copy: the page gets its own bytes, the store keeps its own.
        options.onCheckpoint?.({ name, step: entry.step, weights: weights.slice().buffer, meta: JSON.parse(JSON.stringify(meta)) });
        return entry;
      },
    },
    async appendLog(line) {
      logLines.push(line);
      options.onLine?.('train_log.jsonl', line);
    },
    async appendSample(line) {
      sampleLines.push(line);
      options.onLine?.('samples.jsonl', line);
    },
  };
}
