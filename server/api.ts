// The HTTP API under /api (docs/api.md): submit runs, control them, read their files, upload
// checkpoints to start runs from, record browser runs (their tab posts events and checkpoints),
// list the executors, download a pipeline's PyTorch export. One explicit route table; each handler
// gets the matched URL parts.
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { checkCheckpointName } from '../engine/checkpoint/store';
import { compile } from '../engine/compiler/compile';
import { EVENTS_VERSION } from '../engine/events';
import { checkExportable, TorchExportError } from '../engine/export/torch/export';
import { directoryCheckpointStore } from '../engine/node/checkpoint-dir';
import { experimentRoutes } from './api-edits';
import { readCheckpointUpload } from './checkpoint-upload';
import { HttpError, readJsonBody, sendJson } from './http';
import { BrowserBackendPreference, EventBatch } from './runs/browser-record';
import { isRunId } from './runs/ids';
import { RunActionError, type RunManager } from './runs/manager';
import { NodeBackend } from './runs/messages';
import { exportTorchInWorker } from './runs/torch-export';
import { zipFiles } from './zip';

export interface ApiOptions {
  /** Largest accepted request body in bytes (a pipeline document). */
  maxBodyBytes: number;
  /** Largest accepted checkpoint upload in bytes (metadata and weights). */
  maxUploadBytes: number;
  /** Where bundled corpora are prepared (for the export download). */
  dataDir: string;
}

const PipelineDocument = z.unknown().refine((p) => typeof p === 'object' && p !== null && !Array.isArray(p), 'must be a pipeline document (an object)');

const SubmitBody = z.object({
  pipeline: PipelineDocument,
  executor: z.enum(['node', 'torch', 'browser']).default('node'),
  steps: z.number().int().min(1).max(100_000_000).optional(),
  backend: z.union([NodeBackend, BrowserBackendPreference]).optional(),
  torch: z.object({
    nproc: z.number().int().min(1).max(64).optional(),
    device: z.enum(['cpu', 'cuda']).optional(),
  }).strict().optional(),
  resume: z.union([
    z.object({ upload: z.string().max(100), restartSchedule: z.boolean().optional() }).strict(),
    z.object({ run: z.string().max(100), checkpoint: z.string().max(200), restartSchedule: z.boolean().optional() }).strict(),
  ]).optional(),
}).strict().superRefine((body, ctx) => {
  const { executor, backend } = body;
  if (executor === 'torch' && backend) ctx.addIssue({ code: 'custom', path: ['backend'], message: 'is for executors "node" and "browser"; torch runs take torch.device' });
  if (executor === 'node' && backend && !NodeBackend.safeParse(backend).success) ctx.addIssue({ code: 'custom', path: ['backend'], message: `must be one of ${NodeBackend.options.join(', ')} for executor "node"` });
  if (executor === 'browser' && backend && !BrowserBackendPreference.safeParse(backend).success) ctx.addIssue({ code: 'custom', path: ['backend'], message: `must be one of ${BrowserBackendPreference.options.join(', ')} for executor "browser"` });
  if (executor !== 'torch' && body.torch) ctx.addIssue({ code: 'custom', path: ['torch'], message: 'is for executor "torch"' });
  if (executor === 'browser' && body.resume) ctx.addIssue({ code: 'custom', path: ['resume'], message: 'is for executors "node" and "torch" (a browser run is recorded as its tab trains it)' });
});

const ExportBody = z.object({ pipeline: PipelineDocument }).strict();

/** tfjs backends this server can start: wasm and cpu always, tensorflow with @tensorflow/tfjs-node installed. */
function nodeBackends(): NodeBackend[] {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
    return ['wasm', 'cpu', 'tensorflow'];
  } catch {
    return ['wasm', 'cpu'];
  }
}

/** A file name from a pipeline's name: lower-case letters, digits and dashes. */
function fileSlug(name: string): string {
  const slug = name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60).replace(/-+$/, '');
  return slug || 'pipeline';
}

function invalidRequest(error: z.ZodError): HttpError {
  return new HttpError(400, 'invalid request', { errors: error.issues.map((i) => ({ field: i.path.join('.') || undefined, message: i.message })) });
}

type Handler = (req: IncomingMessage, res: ServerResponse, params: string[], query: URLSearchParams) => Promise<void> | void;

/**
 * Returns the API's request handler, or undefined for paths outside /api (Next serves those).
 * @example const handle = apiHandler(manager, { maxBodyBytes: 2 << 20 }); if (!handle(req, res)) next(req, res);
 */
export function apiHandler(manager: RunManager, options: ApiOptions) {
  const runOr404 = (id: string) => {
    const status = isRunId(id) ? manager.get(id) : undefined;
    if (!status) throw new HttpError(404, `no run ${JSON.stringify(id)}`);
    return status;
  };

  // A checkpoint's metadata holds its pipeline: the submission limit fits it.
  const uploadLimits = { maxBytes: options.maxUploadBytes, maxMetaBytes: options.maxBodyBytes };
  const routes: [method: string, path: RegExp, handler: Handler][] = [
    ['GET', /^\/api\/health$/, (_req, res) => {
      const runs = manager.list();
      sendJson(res, 200, {
        ok: true, eventsVersion: EVENTS_VERSION,
        runs: { total: runs.length, running: runs.filter((r) => r.state === 'running' || r.state === 'paused').length, queued: runs.filter((r) => r.state === 'queued').length },
      });
    }],
    ['GET', /^\/api\/runs$/, (_req, res) => sendJson(res, 200, { runs: manager.list() })],
    ['POST', /^\/api\/runs$/, async (req, res) => {
      const body = SubmitBody.safeParse(await readJsonBody(req, options.maxBodyBytes));
      if (!body.success) throw invalidRequest(body.error);
      const result = await manager.submit(body.data);
      if ('errors' in result) throw new HttpError(400, result.error, { errors: result.errors });
      sendJson(res, 201, { id: result.id });
    }],
    ['POST', /^\/api\/checkpoints$/, async (req, res, _params, query) => {
      const checkpoint = await readCheckpointUpload(req, query, uploadLimits);
      sendJson(res, 201, await manager.uploads.add(checkpoint));
    }],
    ['GET', /^\/api\/checkpoints\/([^/]+)$/, async (_req, res, [id]) => {
      const info = await manager.uploads.get(id);
      if (!info) throw new HttpError(404, `no uploaded checkpoint ${JSON.stringify(id)}`);
      sendJson(res, 200, info);
    }],
    ['GET', /^\/api\/executors$/, async (_req, res) => {
      const torch = await manager.torchInfo();
      sendJson(res, 200, { node: { available: true, backends: nodeBackends() }, torch: { ...torch, python: manager.python } });
    }],
    ['POST', /^\/api\/export\/torch$/, async (req, res, _params, query) => {
      const body = ExportBody.safeParse(await readJsonBody(req, options.maxBodyBytes));
      if (!body.success) throw invalidRequest(body.error);
      const data = query.get('data') ?? '1';
      if (data !== '0' && data !== '1') throw new HttpError(400, '?data must be 0 (leave out the token ids) or 1');
      const compiled = compile(body.data.pipeline);
      if (!compiled.ok) {
        throw new HttpError(400, 'the pipeline has errors', {
          errors: compiled.diagnostics.filter((d) => d.severity === 'error').map((d) => ({
            ...(d.nodeId ? { nodeId: d.nodeId } : {}), ...(d.edgeId ? { edgeId: d.edgeId } : {}), ...(d.field ? { field: d.field } : {}), code: d.code, message: d.message,
          })),
        });
      }
      const { plan } = compiled;
      const issues = checkExportable(plan);
      if (issues.length) throw exportRefusal(issues);
      const slug = `${fileSlug(plan.name)}-torch`;
      const dir = await mkdtemp(join(tmpdir(), 'studio-export-'));
      try {
        let files: string[];
        try {
          // Data linked, not copied: the zip reads it once. A 'files' dataset is copied in only with data.
          const dataDir = resolve(options.dataDir);
          files = await exportTorchInWorker({ plan, outDir: dir, dataDir, baseDir: process.cwd(), copyData: data === '1', linkData: true, dataRoots: [dataDir] });
        } catch (e) {
          if (e instanceof TorchExportError) throw exportRefusal(e.issues);
          throw e;
        }
        // ?data=0 leaves out the token ids (megabytes); tokenizer.json, meta.json and gpt2_vocab.json stay.
        const kept = files.filter((f) => data === '1' || !(f.startsWith('data/') && f.endsWith('.npy'))).sort();
        const zip = await zipFiles(await Promise.all(kept.map(async (f) => ({ name: `${slug}/${f}`, data: await readFile(join(dir, f)) }))));
        res.writeHead(200, {
          'content-type': 'application/zip', 'content-length': zip.length, 'cache-control': 'no-store',
          'content-disposition': `attachment; filename="${slug}.zip"`,
        });
        res.end(zip);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }],
    ['GET', /^\/api\/runs\/([^/]+)$/, (_req, res, [id]) => sendJson(res, 200, runOr404(id))],
    // A browser run's tab posts its events (numbered batches) and its checkpoints (docs/api.md).
    ['POST', /^\/api\/runs\/([^/]+)\/events$/, async (req, res, [id]) => {
      beforeBody(req, () => runOr404(id));
      const body = EventBatch.safeParse(await readJsonBody(req, options.maxBodyBytes));
      if (!body.success) throw invalidRequest(body.error);
      sendJson(res, 200, await manager.recordEvents(id, body.data));
    }],
    ['POST', /^\/api\/runs\/([^/]+)\/checkpoints$/, async (req, res, [id], query) => {
      beforeBody(req, () => {
        runOr404(id);
        manager.checkRecording(id);
      });
      const checkpoint = await readCheckpointUpload(req, query, uploadLimits);
      sendJson(res, 201, await manager.recordCheckpoint(id, checkpoint));
    }],
    ['POST', /^\/api\/runs\/([^/]+)\/(pause|resume|stop)$/, async (_req, res, [id, action]) => {
      runOr404(id);
      const status = action === 'pause' ? manager.pause(id) : action === 'stop' ? manager.stop(id) : await manager.resume(id);
      sendJson(res, 200, status);
    }],
    ['GET', /^\/api\/runs\/([^/]+)\/log$/, (_req, res, [id]) => {
      runOr404(id);
      return sendFile(res, join(manager.store.dir(id), 'train_log.jsonl'), 'application/x-ndjson', { emptyIfMissing: true });
    }],
    ['GET', /^\/api\/runs\/([^/]+)\/samples$/, (_req, res, [id]) => {
      runOr404(id);
      return sendFile(res, join(manager.store.dir(id), 'samples.jsonl'), 'application/x-ndjson', { emptyIfMissing: true });
    }],
    ['GET', /^\/api\/runs\/([^/]+)\/pipeline$/, (_req, res, [id]) => {
      runOr404(id);
      return sendFile(res, join(manager.store.dir(id), 'pipeline.json'), 'application/json');
    }],
    ['GET', /^\/api\/runs\/([^/]+)\/events$/, async (_req, res, [id], query) => {
      runOr404(id);
      const after = query.has('after') ? Number(query.get('after')) : 0;
      if (!Number.isInteger(after) || after < 0) throw new HttpError(400, '?after must be a non-negative integer (a seq)');
      res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store' });
      for await (const batch of manager.store.readEvents(id, after)) {
        if (!res.write(batch.map((e) => JSON.stringify(e)).join('\n') + '\n')) await new Promise((r) => res.once('drain', r));
      }
      res.end();
    }],
    ['GET', /^\/api\/runs\/([^/]+)\/checkpoints$/, async (_req, res, [id]) => {
      runOr404(id);
      sendJson(res, 200, { checkpoints: await directoryCheckpointStore(manager.store.checkpointsDir(id)).list() });
    }],
    ['GET', /^\/api\/runs\/([^/]+)\/checkpoints\/([^/]+)$/, async (_req, res, [id, file]) => {
      runOr404(id);
      const match = /^(.+?)(\.safetensors|\.json)?$/.exec(file)!;
      const [name, ext = '.safetensors'] = [match[1], match[2]];
      try {
        checkCheckpointName(name);
      } catch (e) {
        throw new HttpError(400, (e as Error).message);
      }
      // Only complete checkpoints (list() checks the metadata commit marker); the name is already
      // limited to letters, digits, '_', '.', '-' without a leading dot, so it stays in the folder.
      const dir = manager.store.checkpointsDir(id);
      const entries = await directoryCheckpointStore(dir).list();
      if (!entries.some((e) => e.name === name)) throw new HttpError(404, `run ${id} has no checkpoint ${name}`);
      const type = ext === '.json' ? 'application/json' : 'application/octet-stream';
      return sendFile(res, join(dir, name + ext), type, { download: `${id}-${name}${ext}` });
    }],
    ...experimentRoutes(manager, runOr404),
  ];

  return (req: IncomingMessage, res: ServerResponse): boolean => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/api' && !url.pathname.startsWith('/api/')) return false;
    let pathname: string;
    try {
      pathname = decodeURIComponent(url.pathname);
    } catch {
      sendJson(res, 400, { error: 'malformed URL' });
      return true;
    }
    const matching = routes.filter(([, path]) => path.test(pathname));
    const route = matching.find(([method]) => method === req.method);
    if (!route) {
      if (matching.length) {
        res.setHeader('allow', matching.map(([m]) => m).join(', '));
        sendJson(res, 405, { error: `${req.method} is not allowed here` });
      } else {
        sendJson(res, 404, { error: `no API route ${url.pathname}` });
      }
      return true;
    }
    const params = route[1].exec(pathname)!.slice(1);
    Promise.resolve()
      .then(() => route[2](req, res, params, url.searchParams))
      .catch((e: unknown) => fail(res, e));
    return true;
  };
}

/** A check made before the request's body is read: on refusal the body is drained, so the reply reaches the client. */
function beforeBody(req: IncomingMessage, check: () => void): void {
  try {
    check();
  } catch (e) {
    req.resume();
    throw e;
  }
}

function exportRefusal(issues: { nodeId?: string; field?: string; message: string }[]): HttpError {
  return new HttpError(400, 'the pipeline cannot be exported to PyTorch', {
    errors: issues.map((i) => ({ ...(i.nodeId ? { nodeId: i.nodeId } : {}), ...(i.field ? { field: i.field } : {}), code: 'torch_export', message: i.message })),
  });
}

function fail(res: ServerResponse, e: unknown): void {
  if (res.headersSent) {
    res.destroy(e instanceof Error ? e : undefined);
    return;
  }
  if (e instanceof HttpError) sendJson(res, e.status, { error: e.message, ...(e.body as object | undefined) });
  else if (e instanceof RunActionError) sendJson(res, e.status, { error: e.message, ...e.details });
  else {
    console.error('API error:', e);
    sendJson(res, 500, { error: 'internal error' });
  }
}

async function sendFile(res: ServerResponse, path: string, type: string, options: { emptyIfMissing?: boolean; download?: string } = {}): Promise<void> {
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
    'content-type': type, 'content-length': size, 'cache-control': 'no-store',
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
