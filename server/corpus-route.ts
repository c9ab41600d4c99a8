// GET/HEAD /data/brown-<tokenizer>/<file> and /data/datasets/<id>/<file> (the library's uploads, once ready): the bundled corpus, prepared under DATA_DIR, served
// read-only to browser runs, with HTTP Range support so a worker reads train_ids.npy in windows
// (engine/browser/http-source.ts). Only the four dataset files of brown-* folders can be named
// (engine/browser/corpus-files.ts), so no path reaches anything else. A missing byte-level folder
// is prepared on first request (about a second); BPE and GPT-2 ones must be prepared on the
// server first (`npm run tokenize -- --brown ...`, or one server run).
// Served by the studio server itself, ahead of Next: every reply, HEAD included, carries the exact
// Content-Length of its bytes (Next's compression would drop it), with or without the web app.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseByteRange, parseCorpusPath, parseLibraryPath } from '../engine/browser/corpus-files';
import { prepareCorpus } from '../engine/node/corpus';
import { sendJson } from './http';
import { requestTarget } from './request-target';

/** One preparation per folder at a time, however many requests wait for it. */
const preparing = new Map<string, Promise<unknown>>();

/**
 * Answers requests under /data/ and returns true; false for other paths.
 * @example const corpus = corpusHandler('data'); if (corpus(req, res)) return;
 */
export function corpusHandler(dataDir: string) {
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    const { pathname } = requestTarget(req);
    if (!pathname.startsWith('/data/')) return false;
    serve(req, res, resolve(dataDir), pathname).catch((e: Error) => {
      if (res.headersSent) return void res.destroy(e);
      sendJson(res, 500, { error: `cannot serve ${pathname}: ${e.message}` });
    });
    return true;
  };
}

async function serve(req: IncomingMessage, res: ServerResponse, dataDir: string, pathname: string): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    return sendJson(res, 405, { error: `${req.method} is not allowed here` });
  }
  // The front door checked the percent-encoding, so each segment decodes.
  const segments = pathname.slice('/data/'.length).split('/').map(decodeURIComponent);
  const target = parseCorpusPath(segments) ?? parseLibraryPath(segments);
  if (!target)
    return sendJson(res, 404, {
      error: `no such corpus file: /data/${segments.join('/')} (expected /data/brown-<byte|gpt2|bpeN>/<file> or /data/datasets/<id>/<file>, file: train_ids.npy|valid_ids.npy|tokenizer.json|meta.json)`,
    });
  const folder = join(dataDir, target.folder);
  // meta.json is written last: without it the folder is missing or half written.
  if (!(await stat(join(folder, 'meta.json')).catch(() => undefined))) {
    if (!('tokenizer' in target) || target.tokenizer !== 'byte')
      return sendJson(res, 404, { error: `${target.folder} is not prepared on this server (run \`npm run tokenize -- --brown\` for it, or one server run)` });
    try {
      await prepareOnce(folder);
    } catch (err) {
      return sendJson(res, 500, { error: `could not prepare ${target.folder} (${(err as Error).message}); prepare it with \`npm run tokenize -- --brown\`` });
    }
  }
  const path = join(folder, target.file);
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) return sendJson(res, 404, { error: `${target.folder}/${target.file} is missing on this server` });

  const headers: Record<string, string | number> = {
    'content-type': target.file.endsWith('.json') ? 'application/json' : 'application/octet-stream',
    'accept-ranges': 'bytes',
    // The folder can be rebuilt in place (new corpus version), so revalidate every time.
    'cache-control': 'no-cache',
    etag: `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`,
    'last-modified': info.mtime.toUTCString(),
  };
  const range = parseByteRange(req.headers.range, info.size);
  if (range === 'unsatisfiable') {
    res.writeHead(416, { ...headers, 'content-range': `bytes */${info.size}`, 'content-length': 0 });
    return void res.end();
  }
  const { start, end } = range ?? { start: 0, end: info.size - 1 };
  res.writeHead(range ? 206 : 200, {
    ...headers,
    'content-length': Math.max(0, end - start + 1),
    ...(range ? { 'content-range': `bytes ${start}-${end}/${info.size}` } : {}),
  });
  if (req.method === 'HEAD' || end < start) return void res.end();
  await pipeline(createReadStream(path, { start, end }), res);
}

function prepareOnce(folder: string): Promise<unknown> {
  let job = preparing.get(folder);
  if (!job) {
    job = prepareCorpus(folder, { tokenizer: 'byte' });
    preparing.set(folder, job);
    job.finally(() => preparing.delete(folder)).catch(() => {});
  }
  return job;
}
