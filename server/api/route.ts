// What an area of the API (one file in this folder) is made of: routes of a method, a path
// pattern and a handler given the matched URL parts, and the helpers the handlers share.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Diagnostic } from '../../engine/compiler/diagnostics';
import type { DatasetLibrary } from '../datasets/library';
import { HttpError } from '../http';
import { UploadSlots } from '../upload-slots';
import { isRunId } from '../runs/ids';
import type { RunManager } from '../runs/manager';
import type { RunStatus } from '../runs/run-folders';

export interface ApiOptions {
  /** Largest accepted request body in bytes (a pipeline document). */
  maxBodyBytes: number;
  /** Largest accepted checkpoint upload in bytes (metadata and weights). */
  maxUploadBytes: number;
  /** Where bundled corpora are prepared (for the export download). */
  dataDir: string;
  /** Checkpoint uploads read at once (MAX_CONCURRENT_UPLOADS). Default 2. */
  maxConcurrentUploads?: number;
  /** The dataset library (uploads, tokenize jobs): /api/datasets. */
  datasets?: DatasetLibrary;
}

/** What every area's handlers reach: the run manager, the limits, and the run a URL names. */
export interface Api {
  manager: RunManager;
  options: ApiOptions;
  /** The run `id` of the URL; a 404 when there is none. */
  runOr404(id: string): RunStatus;
  /** Limits of a checkpoint upload, with the slots all upload routes share. */
  uploadLimits: UploadLimits;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, params: string[], query: URLSearchParams) => Promise<void> | void;

export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  /** Matched against the decoded path; its groups are the handler's params. */
  path: RegExp;
  handle: Handler;
}

/** An area of the API: its routes, given what handlers reach. */
export type ApiArea = (api: Api) => Route[];

/** A request's `pipeline`: a document the compiler then checks. */
export const PipelineDocument = z.unknown().refine((p) => typeof p === 'object' && p !== null && !Array.isArray(p), 'must be a pipeline document (an object)');

export type UploadLimits = { maxBytes: number; maxMetaBytes: number; slots: UploadSlots };

/** Limits of a checkpoint upload: its metadata holds its pipeline, so the submission limit fits it. */
export function uploadLimits(options: ApiOptions): UploadLimits {
  return { maxBytes: options.maxUploadBytes, maxMetaBytes: options.maxBodyBytes, slots: new UploadSlots(options.maxConcurrentUploads) };
}

/** A 400 naming each field of the request that is wrong. */
export function invalidRequest(error: z.ZodError): HttpError {
  return new HttpError(400, 'invalid request', { errors: error.issues.map((i) => ({ field: i.path.join('.') || undefined, message: i.message })) });
}

/** A check made before the request's body is read: on refusal the body is drained, so the reply reaches the client. */
export function beforeBody(req: IncomingMessage, check: () => void): void {
  try {
    check();
  } catch (e) {
    req.resume();
    throw e;
  }
}

/** The compiler's errors as a reply's `errors`, addressed to nodes, edges and fields. */
export function compileErrors(diagnostics: Diagnostic[]) {
  return diagnostics
    .filter((d) => d.severity === 'error')
    .map((d) => ({
      ...(d.nodeId ? { nodeId: d.nodeId } : {}),
      ...(d.edgeId ? { edgeId: d.edgeId } : {}),
      ...(d.field ? { field: d.field } : {}),
      ...(d.innerNodeId ? { innerNodeId: d.innerNodeId } : {}),
      code: d.code,
      message: d.message,
    }));
}

/** A run id from the URL that names a run of the manager's, or a 404. */
export function runLookup(manager: RunManager): (id: string) => RunStatus {
  return (id) => {
    const status = isRunId(id) ? manager.get(id) : undefined;
    if (!status) throw new HttpError(404, `no run ${JSON.stringify(id)}`);
    return status;
  };
}

/** Sends a file of a run's folder: 404 when missing (or empty with `emptyIfMissing`), an attachment with `download`. */
export async function sendFile(res: ServerResponse, path: string, type: string, options: { emptyIfMissing?: boolean; download?: string } = {}): Promise<void> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    if (!options.emptyIfMissing) throw new HttpError(404, 'not found');
    res.writeHead(200, { 'content-type': type, 'content-length': 0, 'cache-control': 'no-store' });
    res.end();
    return;
  }
  if (size === 0) {
    res.writeHead(200, { 'content-type': type, 'content-length': 0, 'cache-control': 'no-store' });
    res.end();
    return;
  }
  res.writeHead(200, {
    'content-type': type,
    'content-length': size,
    'cache-control': 'no-store',
    ...(options.download ? { 'content-disposition': `attachment; filename="${options.download}"` } : {}),
  });
  await new Promise<void>((resolve, reject) => {
    // Exactly the bytes stat saw: a log still being appended to must not overrun content-length.
    const stream = createReadStream(path, { start: 0, end: size - 1 });
    stream.on('error', reject);
    res.on('close', () => stream.destroy());
    stream.pipe(res).on('finish', resolve);
  });
}
