// The bundled corpus as the app serves it to browser runs: `/data/brown-<tokenizer>/<file>`
// (server/corpus-route.ts), read back with Range requests (http-source.ts). Names and
// Range parsing live here, shared by the route and the worker, and testable without a server.
import type { DatasetRequest } from '../runtime/io';

/** The files of a prepared dataset folder (as engine/node/tokenize-files.ts writes them). */
export const CORPUS_FILES = ['train_ids.npy', 'valid_ids.npy', 'tokenizer.json', 'meta.json'] as const;
export type CorpusFile = (typeof CORPUS_FILES)[number];

/**
 * The folder of the bundled corpus for a tokenizer choice; the same name engine/node/io.ts's
 * corpusDir uses under DATA_DIR.
 * @example corpusFolder({ tokenizer: 'bpe', vocabSize: 1024 }) // 'brown-bpe1024'
 */
export function corpusFolder(request: Pick<DatasetRequest, 'tokenizer' | 'vocabSize'>): string {
  return `brown-${request.tokenizer}${request.tokenizer === 'bpe' ? request.vocabSize : ''}`;
}

/** A valid `/data/<folder>/<file>` path, parsed. */
export interface CorpusPath {
  folder: string;
  file: CorpusFile;
  tokenizer: 'byte' | 'bpe' | 'gpt2';
  vocabSize?: number; // bpe only
}

/**
 * Parses the path segments after `/data/`, accepting only `brown-byte`, `brown-gpt2` and
 * `brown-bpe<N>` folders and the four dataset file names, so no request can name anything else.
 * @example parseCorpusPath(['brown-byte', 'train_ids.npy']) // { folder: 'brown-byte', file: 'train_ids.npy', tokenizer: 'byte' }
 */
export function parseCorpusPath(segments: readonly string[]): CorpusPath | undefined {
  if (segments.length !== 2) return undefined;
  const [folder, file] = segments;
  if (!(CORPUS_FILES as readonly string[]).includes(file)) return undefined;
  const m = /^brown-(byte|gpt2|bpe([1-9][0-9]{2,4}))$/.exec(folder);
  if (!m) return undefined;
  if (m[1] === 'byte' || m[1] === 'gpt2') return { folder, file: file as CorpusFile, tokenizer: m[1] };
  const vocabSize = Number(m[2]);
  if (vocabSize < 257 || vocabSize > 65_535) return undefined; // the dataset node's vocab_size range
  return { folder, file: file as CorpusFile, tokenizer: 'bpe', vocabSize };
}

/** A file of an uploaded library dataset: `/data/datasets/<id>/<file>`. */
export interface LibraryPath {
  folder: string; // 'datasets/<id>'
  file: CorpusFile;
}

/**
 * Parses `/data/datasets/<id>/<file>`: only upload ids (`ds-` and 12 hex digits) and the four
 * dataset file names, so no request can name anything else.
 * @example parseLibraryPath(['datasets', 'ds-0123456789ab', 'meta.json']) // { folder: 'datasets/ds-0123456789ab', file: 'meta.json' }
 */
export function parseLibraryPath(segments: readonly string[]): LibraryPath | undefined {
  if (segments.length !== 3 || segments[0] !== 'datasets' || !/^ds-[0-9a-f]{12}$/.test(segments[1])) return undefined;
  if (!(CORPUS_FILES as readonly string[]).includes(segments[2])) return undefined;
  return { folder: `datasets/${segments[1]}`, file: segments[2] as CorpusFile };
}

/**
 * The app path of a library dataset's folder: bundled ids under /data/, uploads under /data/datasets/.
 * @example libraryFolderUrl('ds-0123456789ab') // 'datasets/ds-0123456789ab'
 */
export function libraryFolder(id: string): string {
  if (parseCorpusPath([id, 'meta.json'])) return id;
  if (parseLibraryPath(['datasets', id, 'meta.json'])) return `datasets/${id}`;
  throw new Error(`dataset: ${JSON.stringify(id)} is not a dataset id (choose one from the library)`);
}

/**
 * The byte range a `Range` header asks of a `size`-byte file: inclusive `{ start, end }`,
 * undefined for the whole file (no header, or one we do not honour: several ranges, other
 * units, malformed, as RFC 9110 allows), or 'unsatisfiable' (416).
 * @example
 *   parseByteRange('bytes=0-99', 1000);  // { start: 0, end: 99 }
 *   parseByteRange('bytes=-100', 1000);  // { start: 900, end: 999 }
 *   parseByteRange('bytes=2000-', 1000); // 'unsatisfiable'
 */
export function parseByteRange(header: string | null | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    // Suffix range: the last N bytes.
    const n = Number(m[2]);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (!Number.isSafeInteger(start) || start >= size) return 'unsatisfiable';
  if (end < start) return undefined; // invalid range: ignore the header
  return { start, end };
}
