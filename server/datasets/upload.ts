// POST /api/datasets: the query (what to make of the file) and the body (the file, streamed to
// disk with a byte limit: never held in memory whole).
import { createWriteStream } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { formatLimit } from '../checkpoint-upload';
import { HttpError } from '../http';
import { DatasetRequest } from './store';

const QUERY_KEYS = new Set(['name', 'tokenizer', 'vocab_size', 'valid_fraction', 'format', 'field']);

/** A query number: digits and a dot only, so '', '1e3' and ' 5' are refused rather than coerced. */
function queryNumber(raw: string | null): number | undefined | string {
  if (raw === null) return undefined;
  return /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
}

/**
 * The upload's request from the query string; HttpError 400 naming each bad field.
 * @example parseUploadQuery(new URLSearchParams('name=shakes&tokenizer=bpe&vocab_size=512'))
 */
export function parseUploadQuery(query: URLSearchParams): DatasetRequest {
  const unknown = [...query.keys()].filter((k) => !QUERY_KEYS.has(k));
  if (unknown.length)
    throw new HttpError(400, `unknown query parameter ${unknown.map((k) => JSON.stringify(k)).join(', ')} (expected ${[...QUERY_KEYS].join(', ')})`);
  for (const key of query.keys()) if (query.getAll(key).length > 1) throw new HttpError(400, `?${key} is given more than once`);
  const parsed = DatasetRequest.safeParse({
    name: query.get('name') ?? undefined,
    tokenizer: query.get('tokenizer') ?? undefined,
    vocab_size: queryNumber(query.get('vocab_size')),
    valid_fraction: queryNumber(query.get('valid_fraction')),
    format: query.get('format') ?? undefined,
    field: query.get('field') ?? undefined,
  });
  if (!parsed.success) {
    throw new HttpError(400, 'invalid dataset upload', {
      errors: parsed.error.issues.map((i) => ({ field: i.path.join('.') || undefined, message: i.message })),
    });
  }
  const request = parsed.data;
  const refuse = (field: string, message: string) => new HttpError(400, `${field}: ${message}`, { errors: [{ field, message }] });
  if (request.vocab_size !== undefined && request.tokenizer !== 'bpe')
    throw refuse('vocab_size', `only for tokenizer bpe (${request.tokenizer} has a fixed vocabulary)`);
  if (request.field !== undefined && request.format !== 'jsonl' && request.format !== 'parquet') throw refuse('field', 'only for format jsonl or parquet');
  if (request.format === 'npy' && request.tokenizer === 'bpe' && request.vocab_size === undefined)
    throw refuse('vocab_size', 'ids made by a BPE tokenizer need their vocab_size');
  return request;
}

/**
 * Streams the request body into `file`, counting bytes; HttpError 415 (not
 * application/octet-stream) or 413 once the body is declared or counted past `limit`.
 * Resolves with the byte count. The caller removes `file` on error.
 */
export async function receiveBody(req: IncomingMessage, file: string, limit: number, onBytes: (bytes: number) => void): Promise<number> {
  const tooLarge = () => new HttpError(413, `the file is larger than this server accepts for datasets (${formatLimit(limit)}, MAX_DATASET_UPLOAD_BYTES)`);
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      if (bytes > limit) return callback(tooLarge());
      onBytes(bytes);
      callback(null, chunk);
    },
  });
  try {
    await pipeline(req, counter, createWriteStream(file));
  } catch (e) {
    req.resume(); // drain, so the reply reaches the client
    if (e instanceof HttpError) throw e;
    if ((e as NodeJS.ErrnoException).code === 'ENOSPC') throw new HttpError(507, "the server's disk is full: the upload was not kept");
    throw new HttpError(400, `the upload did not arrive whole (${(e as Error).message})`);
  }
  return bytes;
}

/** Checks made before any byte of the body is read. */
export function checkUploadHeaders(req: IncomingMessage, limit: number): void {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/octet-stream\b/i.test(type)) throw new HttpError(415, 'send the file as bytes with content-type: application/octet-stream');
  const declared = Number(req.headers['content-length']);
  if (declared > limit)
    throw new HttpError(413, `the file is ${formatLimit(declared)}; this server accepts at most ${formatLimit(limit)} for datasets (MAX_DATASET_UPLOAD_BYTES)`);
}
