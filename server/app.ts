// The studio server: one node:http server on one port carrying the API (/api), the socket.io
// event stream (/socket.io), the corpus for browser runs (/data) and, unless disabled, the Next.js
// app (everything else). Plain `next start` cannot host socket.io, hence this custom server.
import { createServer, ServerResponse, STATUS_CODES, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Duplex } from 'node:stream';
import { Access, generateToken, TOKEN_PATTERN } from './access';
import { apiHandler } from './api';
import { corpusHandler } from './corpus-route';
import { runsUsingDataset } from './datasets/in-use';
import { DatasetLibrary } from './datasets/library';
import { isLoopback, sendJson } from './http';
import { requestTarget, targetProblem } from './request-target';
import { RunManager } from './runs/manager';
import { attachSocket } from './socket';

export interface StudioServerOptions {
  /** 0 picks a free port. Default 3000. */
  port?: number;
  /** Default 127.0.0.1 (this machine only). */
  host?: string;
  /** Run folders. Default runs/. */
  runsDir?: string;
  /** Where bundled corpora are prepared. Default data/. */
  dataDir?: string;
  /** Serve the Next.js app too: true (production build), { dev: true } (next dev), false (API only, for tests). */
  next?: boolean | { dev: boolean; dir?: string };
  /** Runs training at once; the rest queue. Default 1. */
  maxConcurrentRuns?: number;
  /** Largest request body (a pipeline). Default 2 MiB. */
  maxBodyBytes?: number;
  /** Largest checkpoint upload (POST /api/checkpoints, MAX_UPLOAD_BYTES). Default 256 MiB. */
  maxUploadBytes?: number;
  /** Checkpoint uploads read at once (MAX_CONCURRENT_UPLOADS); more get 503 + Retry-After. Default 2. */
  maxConcurrentUploads?: number;
  /** Bytes one run may take by its estimate (MAX_RUN_MEMORY). Default half the machine's RAM. */
  maxRunMemory?: number;
  /** Largest dataset upload (POST /api/datasets, MAX_DATASET_UPLOAD_BYTES). Default 4 GiB. */
  maxDatasetUploadBytes?: number;
  /** Environment of run workers (WANDB_API_KEY, ...). Default: this process's. */
  workerEnv?: NodeJS.ProcessEnv;
  /** Live event batching interval in ms. Default 100. */
  flushMs?: number;
  /** Python with torch and numpy, for torch runs and GET /api/executors. Default /usr/bin/python3. */
  python?: string;
  /** How long a stopped torch run may take to finish its step before it is killed (ms). Default 30 000. */
  torchStopGraceMs?: number;
  /** How long a stopped node run may take to finish its step before its worker is ended (ms). Default 30 000. */
  stopGraceMs?: number;
  /** How long a browser run may go without a word from its tab before it is interrupted (ms). Default 120 000. */
  browserIdleMs?: number;
  /**
   * Access token every request must carry (STUDIO_TOKEN). Default: none on a loopback host; a
   * generated one on any other host, so an exposed server is never open.
   */
  token?: string;
  /** Browser origins allowed besides the server's own (ALLOWED_ORIGINS). */
  allowedOrigins?: string[];
}

/** Checkpoint uploads above this are refused (413) unless maxUploadBytes says otherwise. */
export const DEFAULT_MAX_UPLOAD_BYTES = 256 * 1024 * 1024;
/** Dataset uploads are streamed to disk, so their limit is about disk space, not memory. */
export const DEFAULT_MAX_DATASET_UPLOAD_BYTES = 4 * 1024 ** 3;

export interface StudioServer {
  /** e.g. http://127.0.0.1:3000 */
  url: string;
  /** The link to open in a browser: `url`, plus `/?token=...` when a token is required. */
  openUrl: string;
  /** The access token, when one is required. */
  token?: string;
  port: number;
  manager: RunManager;
  datasets: DatasetLibrary;
  /** Stops accepting connections, ends run workers (their runs become interrupted) and closes Next. */
  close(): Promise<void>;
}

/**
 * Starts the server and resolves once it is listening (and Next is prepared).
 * @example
 *   const server = await createStudioServer({ port: 0, runsDir: tmp, next: false });
 *   await fetch(`${server.url}/api/health`);
 *   await server.close();
 */
export async function createStudioServer(options: StudioServerOptions = {}): Promise<StudioServer> {
  const host = options.host ?? '127.0.0.1';
  const loopbackOnly = isLoopback(host);
  const token = options.token ?? (loopbackOnly ? undefined : generateToken());
  if (token !== undefined && !TOKEN_PATTERN.test(token)) throw new Error('STUDIO_TOKEN must be 16 to 512 characters of A-Z a-z 0-9 . _ ~ -');
  // Made once the port is known (requests only arrive after that).
  let access!: Access;
  const manager = new RunManager({
    runsDir: options.runsDir ?? 'runs',
    dataDir: options.dataDir ?? 'data',
    maxConcurrentRuns: options.maxConcurrentRuns ?? 1,
    ...(options.workerEnv ? { workerEnv: options.workerEnv } : {}),
    ...(options.flushMs ? { flushMs: options.flushMs } : {}),
    ...(options.python ? { python: options.python } : {}),
    ...(options.torchStopGraceMs ? { torchStopGraceMs: options.torchStopGraceMs } : {}),
    ...(options.stopGraceMs ? { stopGraceMs: options.stopGraceMs } : {}),
    ...(options.browserIdleMs ? { browserIdleMs: options.browserIdleMs } : {}),
    ...(options.maxRunMemory ? { maxRunMemory: options.maxRunMemory } : {}),
  });
  await manager.init();
  const datasets = new DatasetLibrary({
    dataDir: options.dataDir ?? 'data',
    maxUploadBytes: options.maxDatasetUploadBytes ?? DEFAULT_MAX_DATASET_UPLOAD_BYTES,
    usedBy: runsUsingDataset(manager),
  });
  await datasets.init();
  const api = apiHandler(manager, {
    maxBodyBytes: options.maxBodyBytes ?? 2 * 1024 * 1024,
    maxUploadBytes: options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES,
    dataDir: options.dataDir ?? 'data',
    ...(options.maxConcurrentUploads ? { maxConcurrentUploads: options.maxConcurrentUploads } : {}),
    datasets,
  });

  const corpus = corpusHandler(options.dataDir ?? 'data');

  // Next is prepared after listening (it wants the real port); requests wait for it.
  let nextHandler: ((req: IncomingMessage, res: ServerResponse) => Promise<void>) | undefined;
  let nextReady: Promise<void> = Promise.resolve();
  let closeNext = async () => {};

  const server = createServer((req, res) => {
    try {
      if (access.answer(req, res)) return;
      if (api(req, res)) return;
      if (corpus(req, res)) return;
    } catch (e) {
      // A bug, not the client's input (that is checked before): answer, and keep serving.
      console.error('request failed:', e);
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      return;
    }
    if (!options.next) return sendJson(res, 404, { error: 'not found (this server runs without the web app)' });
    nextReady
      .then(() => nextHandler!(req, res))
      .catch((e: Error) => {
        console.error('Next.js failed:', e);
        if (!res.headersSent) sendJson(res, 500, { error: 'the web app failed to start' });
      });
  });
  const io = attachSocket(server, manager, { access: () => access });
  // Dataset uploads and tokenize jobs: `datasets <DatasetStatus | {id, deleted}>` to everyone.
  datasets.onStatus((status) => io.emit('datasets', status));
  // Every request passes the front door before any listener sees it: engine.io puts its own
  // request listener first, and WebSocket upgrades (socket.io's and Next's dev HMR socket alike)
  // bypass the request handler. A malformed target gets a 400 here; an upgrade, the access gate.
  const emit = server.emit;
  server.emit = function (this: typeof server, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'request' || event === 'upgrade') {
      const [req, out] = args as [IncomingMessage, ServerResponse | Duplex];
      const problem = targetProblem(req.url ?? '/');
      if (problem) {
        if (out instanceof ServerResponse) sendJson(out, 400, { error: problem });
        else refuseUpgrade(out, 400);
        return true;
      }
    }
    if (event === 'upgrade') {
      const [req, socket] = args as [IncomingMessage, Duplex];
      const path = requestTarget(req).pathname;
      const verdict = access.check(req, { tokenFromSocketIo: path === '/socket.io/' || path === '/socket.io' });
      if (!verdict.ok) {
        refuseUpgrade(socket, verdict.status);
        return true;
      }
    }
    return Reflect.apply(emit, this, [event, ...args]) as boolean;
  } as typeof server.emit;

  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 3000, host, () => {
      server.off('error', fail);
      done();
    });
  });
  const port = (server.address() as AddressInfo).port;
  // The cookie is named after the port: cookies ignore ports, and two studios on one machine keep their own.
  access = new Access({ loopbackOnly, token, allowedOrigins: options.allowedOrigins, cookieName: `studio_token_${port}` });

  if (options.next) {
    const dev = typeof options.next === 'object' ? options.next.dev : false;
    const dir = resolve(typeof options.next === 'object' && options.next.dir ? options.next.dir : '.');
    const { default: next } = await import('next');
    const app = next({ dev, dir, hostname: host, port, httpServer: server });
    nextReady = app.prepare().then(() => {
      nextHandler = app.getRequestHandler();
    });
    await nextReady;
    closeNext = () => app.close();
  }

  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  // A wildcard address is not something to type into a browser: name the machine instead.
  const shown = host === '0.0.0.0' || host === '::' ? `http://${hostname()}:${port}` : url;
  return {
    url,
    port,
    manager,
    datasets,
    openUrl: token ? `${shown}/?token=${token}` : url,
    ...(token ? { token } : {}),
    async close() {
      await new Promise<void>((done) => io.close(() => done())); // also closes the http server
      await manager.close();
      await datasets.close();
      await closeNext();
      server.closeAllConnections?.();
    },
  };
}

/** Answers an upgrade request on its raw socket (no ServerResponse exists for it). */
function refuseUpgrade(socket: Duplex, status: number): void {
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
}
