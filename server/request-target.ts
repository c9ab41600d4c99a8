// The request target of an HTTP request (RFC 9112 §3.2), checked once at the front door, before
// access rules, the API, socket.io or Next see it. The studio serves only origin-form targets
// ('/path?query') that stay on this server; anything else ('*', 'http://…', '//host/…'), or a
// percent-encoding that does not decode to UTF-8 ('%ff', a lone '%'), is the client's mistake and
// gets a 400, never an exception in a handler downstream.
import type { IncomingMessage } from 'node:http';

/** Parsed as a path on this server: '//a:99999/x' is the path '//a:99999/x', not a host. */
const BASE = 'http://localhost';

const parsed = new WeakMap<IncomingMessage, URL>();

/**
 * Why `target` cannot be served, or undefined when it can.
 * @example targetProblem('/api/health') // undefined
 * @example targetProblem('/data/%ff')   // 'the request target has a malformed percent-encoding'
 */
export function targetProblem(target: string): string | undefined {
  if (!target.startsWith('/')) return 'the request target must be a path starting with / (origin-form)';
  try {
    decodeURIComponent(target);
  } catch {
    return 'the request target has a malformed percent-encoding (each % must start a UTF-8 byte as %XX)';
  }
  // Frameworks downstream (Next, engine.io) resolve the target against a base URL, where '//host'
  // and '/\\host' name another host (and '//a:99999' throws): such a target is not a path here.
  let resolved: URL;
  try {
    new URL(BASE + target);
    resolved = new URL(target, BASE);
  } catch {
    return 'the request target is not a valid path';
  }
  if (resolved.origin !== BASE) return 'the request target must be a path on this server, not start with // or /\\';
  return undefined;
}

/**
 * The request's target as a URL whose pathname and searchParams are what the client sent. Call
 * only for requests that passed `targetProblem` (the front door turns the others away).
 */
export function requestTarget(req: IncomingMessage): URL {
  let url = parsed.get(req);
  if (!url) {
    url = new URL(BASE + (req.url ?? '/'));
    parsed.set(req, url);
  }
  return url;
}
