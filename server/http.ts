// Small HTTP helpers for the API on node:http: JSON replies, a size-limited JSON body reader,
// and the Host/Origin checks that keep other web pages out of a server on localhost.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseClientJson, TooDeepError } from './json-depth';

/** A reply the router turns into an HTTP response: `{ error }` JSON with this status. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body?: unknown,
  ) {
    super(message);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

/**
 * Reads a JSON request body of at most `limit` bytes. Throws HttpError 415 (not JSON: also keeps
 * cross-site form posts out, since a page cannot send application/json without a preflight),
 * 413 (too large) or 400 (not valid JSON, or nested too deeply: see json-depth.ts).
 */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) throw new HttpError(415, 'send the body as JSON with content-type: application/json');
  const text = (await readLimited(req, limit, `request body is larger than ${limit} bytes`)).toString('utf8');
  try {
    return parseClientJson(text);
  } catch (e) {
    throw new HttpError(400, e instanceof TooDeepError ? `request body ${e.message}` : `request body is not valid JSON: ${(e as Error).message}`);
  }
}

/**
 * Reads a binary request body (content-type: application/octet-stream) of at most `limit` bytes,
 * as declared or as counted while it arrives. Throws HttpError 415 (another type: like the JSON
 * rule, a cross-site page cannot send this type without a preflight) or 413 (`tooLarge`'s message).
 */
export async function readBinaryBody(req: IncomingMessage, limit: number, tooLarge: string): Promise<Uint8Array> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/octet-stream\b/i.test(type)) throw new HttpError(415, 'send the body as bytes with content-type: application/octet-stream');
  const body = await readLimited(req, limit, tooLarge);
  return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
}

/** The whole body, or HttpError 413 (`tooLarge`) once it is declared or counted past `limit` bytes. */
async function readLimited(req: IncomingMessage, limit: number, tooLarge: string): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) {
    req.resume(); // drain, so the reply reaches the client
    throw new HttpError(413, tooLarge);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > limit) {
        req.resume();
        throw new HttpError(413, tooLarge);
      }
      chunks.push(chunk as Buffer);
    }
  } catch (e) {
    if (e instanceof HttpError) throw e;
    // The stream of a request fails only when its client goes away mid-body ('aborted',
    // ECONNRESET): the client's doing, answered (to nobody) as such, not logged as a server error.
    throw new HttpError(400, `the request ended before its body was complete (${(e as Error).message})`);
  }
  return Buffer.concat(chunks, size);
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host);
}

/**
 * When the server listens on loopback only, requests must name a loopback host (stops DNS
 * rebinding: a web page whose domain resolves to 127.0.0.1 cannot drive the API), and a browser
 * Origin, when sent, must be a loopback one too.
 */
export function allowedOnLoopback(req: IncomingMessage): boolean {
  const hostHeader = req.headers.host ?? '';
  const host = hostHeader.replace(/:\d+$/, '');
  if (!LOOPBACK.has(host)) return false;
  const origin = req.headers.origin;
  if (!origin) return true;
  try {
    return LOOPBACK.has(new URL(origin).hostname) || LOOPBACK.has(`[${new URL(origin).hostname}]`);
  } catch {
    return false;
  }
}
