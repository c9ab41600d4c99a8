// GET /tfjs-wasm/<file>: tfjs-backend-wasm's three .wasm binaries, and the Emscripten glue its
// pthread workers load (engine/browser/wasm-threads.ts), straight from node_modules, for browser
// runs on the wasm backend (engine/browser/backends.ts sets wasmPaths to '/tfjs-wasm/'). Served by
// the app rather than committed under public/, so they always match the installed package. Only
// these four names are served.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { THREADED_GLUE_FILE } from '../../../engine/browser/wasm-threads';

export const dynamic = 'force-dynamic';

/** Each served name and its folder in the package. */
const FILES = new Map([
  ['tfjs-backend-wasm.wasm', 'dist'],
  ['tfjs-backend-wasm-simd.wasm', 'dist'],
  ['tfjs-backend-wasm-threaded-simd.wasm', 'dist'],
  [THREADED_GLUE_FILE, 'wasm-out'],
]);

/** Read once per process: ~1-3 MB each, requested once per worker. */
const cache = new Map<string, Promise<Uint8Array>>();

export async function GET(_request: Request, context: { params: Promise<{ file: string }> }): Promise<Response> {
  const { file } = await context.params;
  if (!FILES.has(file)) {
    return new Response(JSON.stringify({ error: `no such file: /tfjs-wasm/${file} (expected one of ${[...FILES.keys()].join(', ')})` }), {
      status: 404,
      headers: { 'Content-Type': 'application/json' },
    });
  }
  // The server runs from the repository root (npm run studio / start), where node_modules is.
  const path = join(resolve('node_modules'), '@tensorflow', 'tfjs-backend-wasm', FILES.get(file)!, file);
  let bytes = cache.get(path);
  if (!bytes) {
    bytes = readFile(path).then((b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
    cache.set(path, bytes);
    bytes.catch(() => cache.delete(path));
  }
  try {
    const body = await bytes;
    return new Response(body as unknown as BodyInit, {
      // application/wasm lets the browser compile while downloading (instantiateStreaming).
      // Same-origin, so COEP (next.config.js) needs no Cross-Origin-Resource-Policy here.
      headers: {
        'Content-Type': file.endsWith('.js') ? 'text/javascript' : 'application/wasm',
        'Content-Length': String(body.byteLength),
        'Cache-Control': 'public, max-age=3600',
      },
    });
  } catch (err) {
    return new Response(JSON.stringify({ error: `cannot read ${file}: ${(err as Error).message}` }), {
      status: 500,
      headers: { 'Content-Type': 'application/json' },
    });
  }
}
