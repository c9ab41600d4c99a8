// The framing of POST /api/checkpoints (docs/api.md): one binary body, the checkpoint's metadata
// JSON followed by its .safetensors bytes, and a header saying where the JSON ends:
//   Content-Type: application/octet-stream
//   Checkpoint-Meta-Length: <bytes of the JSON>
//   body: <name>.json bytes, then <name>.safetensors bytes
// so `cat ckpt.json ckpt.safetensors | curl --data-binary @- ...` uploads a pair as written.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, readBinaryBody } from './http';
import { parseClientJson, TooDeepError } from './json-depth';
import { checkCheckpoint, UploadError, type CheckedCheckpoint } from './runs/uploads';
import type { UploadSlots } from './upload-slots';

export const META_LENGTH_HEADER = 'checkpoint-meta-length';

export interface UploadLimits {
  /** Largest body (metadata + weights) in bytes. */
  maxBytes: number;
  /** Largest metadata JSON in bytes (it holds the pipeline: the submission limit fits). */
  maxMetaBytes: number;
  /** Uploads read at once (MAX_CONCURRENT_UPLOADS); the rest get 503 with Retry-After. */
  slots: UploadSlots;
}

/** "256 MiB", "1.5 GiB", "2048 bytes": limits in error messages. */
export function formatLimit(bytes: number): string {
  for (const [unit, size] of [
    ['GiB', 2 ** 30],
    ['MiB', 2 ** 20],
    ['KiB', 2 ** 10],
  ] as const) {
    if (bytes >= size) return `${Number((bytes / size).toPrecision(3))} ${unit}`;
  }
  return `${bytes} bytes`;
}

/**
 * Reads and checks an uploaded checkpoint; `?name=` keeps its name (default `ckpt-<step>`).
 * Throws HttpError 415, 413 or 400 with a message naming what is wrong, or 503 when the server
 * reads as many uploads as it allows (the slot is held until `res` closes).
 */
export async function readCheckpointUpload(
  req: IncomingMessage,
  res: ServerResponse,
  query: URLSearchParams,
  limits: UploadLimits,
): Promise<CheckedCheckpoint> {
  const tooLarge = `the checkpoint is larger than this server accepts (${formatLimit(limits.maxBytes)}, MAX_UPLOAD_BYTES)`;
  // The header is checked before the body is read: a refusal need not wait for megabytes.
  const declared = req.headers[META_LENGTH_HEADER];
  const refuse = (status: number, message: string) => {
    req.resume(); // drain, so the reply reaches the client
    return new HttpError(status, message);
  };
  try {
    limits.slots.take(res);
  } catch (e) {
    req.resume();
    throw e;
  }
  if (declared === undefined)
    throw refuse(400, `send the metadata's length in bytes in the ${META_LENGTH_HEADER} header (the body is the .json, then the .safetensors)`);
  const metaLength = Number(declared);
  if (!/^\d+$/.test(String(declared)) || !Number.isSafeInteger(metaLength))
    throw refuse(400, `${META_LENGTH_HEADER} must be a number of bytes, got ${JSON.stringify(declared)}`);
  if (metaLength > limits.maxMetaBytes)
    throw refuse(413, `the checkpoint's metadata is ${metaLength} bytes; this server accepts at most ${formatLimit(limits.maxMetaBytes)}`);
  const body = await readBinaryBody(req, limits.maxBytes, tooLarge);
  if (metaLength > body.length) throw new HttpError(400, `${META_LENGTH_HEADER} is ${metaLength} but the body has only ${body.length} bytes (truncated?)`);
  if (metaLength === body.length) throw new HttpError(400, 'the body has the metadata but no .safetensors bytes after it');
  let meta: unknown;
  try {
    meta = parseClientJson(new TextDecoder('utf-8', { fatal: true }).decode(body.subarray(0, metaLength)));
  } catch (e) {
    const what = `the metadata (the first ${metaLength} bytes)`;
    throw new HttpError(400, e instanceof TooDeepError ? `${what} ${e.message}` : `${what} is not valid JSON: ${(e as Error).message}`);
  }
  const name = query.get('name') ?? undefined;
  try {
    return checkCheckpoint(body.subarray(metaLength), meta, name);
  } catch (e) {
    if (e instanceof UploadError) throw new HttpError(400, e.message);
    throw e;
  }
}
