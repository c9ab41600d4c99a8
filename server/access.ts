// Who may talk to the server. Two modes:
//   - loopback (the default, HOST=127.0.0.1): only this machine can connect; requests must name a
//     loopback Host and come from a loopback page (no DNS rebinding, no other web page driving it).
//   - token (HOST elsewhere, or STUDIO_TOKEN set): every HTTP request, WebSocket upgrade and
//     socket.io connection carries the token (`Authorization: Bearer`, the cookie set by opening
//     `/?token=...`, or socket.io's `auth.token`); browser Origins must be the server's own or
//     listed in ALLOWED_ORIGINS, so another site cannot use a signed-in browser.
// The token is compared in constant time; the cookie is HttpOnly and SameSite=Strict.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { allowedOnLoopback } from './http';
import { requestTarget } from './request-target';

export interface AccessOptions {
  /** The server listens on loopback only: Host and Origin must be loopback names. */
  loopbackOnly: boolean;
  /** When set, every request must carry this token. */
  token?: string;
  /** Browser origins allowed besides the server's own, e.g. 'https://studio.example.org'. */
  allowedOrigins?: string[];
  /** Name of the cookie that carries the token for pages opened with ?token=. */
  cookieName: string;
}

export type Verdict = { ok: true } | { ok: false; status: 401 | 403; error: string };

const OK: Verdict = { ok: true };

/** Tokens are URL- and cookie-safe, and long enough not to be guessed. */
export const TOKEN_PATTERN = /^[A-Za-z0-9._~-]{16,512}$/;

/**
 * A fresh random token (256 bits, base64url).
 * @example const token = generateToken(); // 'q1Xx...'
 */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** `cookie` header -> its value for `name`, if present. */
function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * The access rules of one server, for HTTP requests, WebSocket upgrades and socket.io connections.
 * @example
 *   const access = new Access({ loopbackOnly: false, token, cookieName: 'studio_token_3000' });
 *   if (access.answer(req, res)) return; // refused or redirected
 */
export class Access {
  private readonly tokenDigest: Buffer | undefined;
  private readonly allowed: Set<string>;

  constructor(private readonly options: AccessOptions) {
    if (options.token !== undefined && !TOKEN_PATTERN.test(options.token)) {
      throw new Error('the access token must be 16 to 512 characters of A-Z a-z 0-9 . _ ~ -');
    }
    this.tokenDigest = options.token === undefined ? undefined : digest(options.token);
    this.allowed = new Set((options.allowedOrigins ?? []).map((o) => normaliseOrigin(o)).filter((o): o is string => !!o));
  }

  get tokenRequired(): boolean {
    return this.tokenDigest !== undefined;
  }

  /** Whether `candidate` is the token (constant time: both sides are hashed to equal length first). */
  isToken(candidate: unknown): boolean {
    if (!this.tokenDigest || typeof candidate !== 'string') return false;
    return timingSafeEqual(digest(candidate), this.tokenDigest);
  }

  /** The token a request carries in its Authorization header or cookie, checked. */
  requestHasToken(req: IncomingMessage): boolean {
    const auth = req.headers.authorization;
    const bearer = auth && /^Bearer\s+(\S+)$/i.exec(auth)?.[1];
    return this.isToken(bearer) || this.isToken(cookieValue(req.headers.cookie, this.options.cookieName));
  }

  /** Host and Origin rules (not the token): loopback names on loopback, the server's own or listed origins elsewhere. */
  checkOrigin(req: IncomingMessage): Verdict {
    const origin = req.headers.origin;
    const listed = origin !== undefined && this.allowed.has(normaliseOrigin(origin) ?? '');
    if (this.options.loopbackOnly) {
      if (allowedOnLoopback(req)) return OK;
      const host = (req.headers.host ?? '').replace(/:\d+$/, '');
      if (listed && ['127.0.0.1', 'localhost', '[::1]'].includes(host)) return OK;
      return { ok: false, status: 403, error: 'this server only answers requests for localhost' };
    }
    if (origin === undefined || listed) return OK;
    let sameOrigin = false;
    try {
      sameOrigin = new URL(origin).host === req.headers.host;
    } catch {
      // 'null' (sandboxed frames, file: pages) and garbage are not the server's own origin.
    }
    return sameOrigin ? OK : { ok: false, status: 403, error: `requests from ${origin} are not allowed (set ALLOWED_ORIGINS to allow another site)` };
  }

  /** The full rule for an HTTP request or a WebSocket upgrade: origin, then token. */
  check(req: IncomingMessage, { tokenFromSocketIo = false } = {}): Verdict {
    const origin = this.checkOrigin(req);
    if (!origin.ok) return origin;
    // socket.io clients may send the token in the CONNECT packet (auth.token), after the upgrade:
    // the namespace middleware checks it there (see socket.ts).
    if (!this.tokenRequired || tokenFromSocketIo || this.requestHasToken(req)) return OK;
    return {
      ok: false,
      status: 401,
      error: 'this server needs its access token: open the link it printed at start (…/?token=…), or send Authorization: Bearer <token>',
    };
  }

  /**
   * Applies the rules to an HTTP request. Returns true when it answered: refused (401/403), or
   * `?token=` exchanged for the cookie and redirected to the same URL without it (so the token
   * does not stay in the address bar or history). Returns false when the request may go on.
   */
  answer(req: IncomingMessage, res: ServerResponse): boolean {
    const url = new URL(requestTarget(req)); // a copy: the token is taken out of it below
    const offered = url.searchParams.get('token');
    if (this.tokenRequired && offered !== null && (req.method === 'GET' || req.method === 'HEAD')) {
      const origin = this.checkOrigin(req);
      if (!origin.ok) return refuse(res, url, origin);
      if (!this.isToken(offered)) return refuse(res, url, { ok: false, status: 401, error: 'wrong access token' });
      url.searchParams.delete('token');
      const query = url.searchParams.toString();
      res.writeHead(303, {
        location: url.pathname + (query ? `?${query}` : ''),
        'set-cookie': `${this.options.cookieName}=${offered}; Path=/; HttpOnly; SameSite=Strict`,
        'cache-control': 'no-store',
        'content-length': 0,
      });
      res.end();
      return true;
    }
    const verdict = this.check(req);
    return verdict.ok ? false : refuse(res, url, verdict);
  }
}

function refuse(res: ServerResponse, url: URL, verdict: Extract<Verdict, { ok: false }>): true {
  const body = url.pathname === '/api' || url.pathname.startsWith('/api/') ? JSON.stringify({ error: verdict.error }) : verdict.error + '\n';
  res.writeHead(verdict.status, {
    'content-type': body.startsWith('{') ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    ...(verdict.status === 401 ? { 'www-authenticate': 'Bearer realm="Pretrain Studio"' } : {}),
  });
  res.end(body);
  return true;
}

/** 'https://Example.org:443/' -> 'https://example.org' (what browsers send); undefined for non-URLs. */
function normaliseOrigin(origin: string): string | undefined {
  try {
    const { origin: normal } = new URL(origin);
    return normal === 'null' ? undefined : normal;
  } catch {
    return undefined;
  }
}
