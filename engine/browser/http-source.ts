// A ByteSource over HTTP Range requests, so a browser run reads a large corpus in windows, like a
// file on disk, instead of downloading it whole. Reads go through a small cache of fixed-size
// blocks: get_batch asks for a few hundred bytes per sequence, and one request per sequence would
// cost more than the step on a small model. A file of up to `wholeBytes` is fetched whole when
// opened instead: get_batch's windows land anywhere in the file, so once it is larger than the
// cache most reads miss (R in the browser spent 67 ms per step in get_batch on the 10.8 MB bundled
// corpus with an 8 MiB cache; Node reads the same windows from disk in 0.5 ms).
import type { ByteSource } from '../data/byte-source';
import { checkRange } from '../data/byte-source';

export interface HttpSourceOptions {
  /** Bytes per cached block (one Range request fetches whole blocks). Default 64 KiB. */
  blockSize?: number;
  /** Most bytes kept in the cache; least recently used blocks go first. Default 8 MiB. */
  cacheBytes?: number;
  /** A file of at most this many bytes is fetched whole when opened (one request). Default 64 MiB. */
  wholeBytes?: number;
  /** For messages; default the last part of the URL. */
  name?: string;
  fetch?: typeof fetch;
}

/** An HTTP answer that is not what a Range read needs; `status` is the HTTP status (404: missing). */
export class HttpSourceError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** The error text a server put in a JSON `{ error }` body, else the status line. */
async function reasonOf(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: unknown };
    if (typeof body.error === 'string') return body.error;
  } catch {
    // not JSON
  }
  return `HTTP ${response.status} ${response.statusText}`.trim();
}

/** Total size from `Content-Range: bytes 0-0/12345` (or `bytes * /0` for an empty file). */
function totalFromContentRange(header: string | null): number | undefined {
  const m = /\/(\d+)\s*$/.exec(header ?? '');
  return m ? Number(m[1]) : undefined;
}

/**
 * Opens `url` for windowed reads: one request (`Range: bytes=0-0`) learns the size and that the
 * server honours ranges; later reads fetch only the blocks they touch.
 * @example
 *   const train = await httpRangeSource('/data/brown-byte/train_ids.npy');
 *   const reader = await NpyTokenReader.open(train); // reads the header's 128 bytes' block only
 */
export async function httpRangeSource(url: string, options: HttpSourceOptions = {}): Promise<ByteSource & { requests: number }> {
  const doFetch = options.fetch ?? fetch;
  const name = options.name ?? decodeURIComponent(url.split('?')[0].split('/').pop() || url);
  const blockSize = options.blockSize ?? 64 * 1024;

  const probe = await doFetch(url, { headers: { Range: 'bytes=0-0' } });
  let size: number;
  if (probe.status === 206) size = totalFromContentRange(probe.headers.get('Content-Range')) ?? NaN;
  else if (probe.status === 416)
    size = totalFromContentRange(probe.headers.get('Content-Range')) ?? 0; // empty file
  else if (probe.ok)
    throw new HttpSourceError(`${name}: the server ignored the Range request (HTTP ${probe.status}), so it cannot be read in windows`, probe.status);
  else throw new HttpSourceError(`${name}: ${await reasonOf(probe)}`, probe.status);
  await probe.body?.cancel().catch(() => {});
  if (!Number.isSafeInteger(size) || size < 0) throw new HttpSourceError(`${name}: the server sent no usable Content-Range total`, probe.status);
  const blockCount = Math.ceil(size / blockSize);
  const whole = size > 0 && size <= (options.wholeBytes ?? 64 * 1024 * 1024);
  const maxBlocks = whole ? blockCount : Math.max(1, Math.floor((options.cacheBytes ?? 8 * 1024 * 1024) / blockSize));

  // Blocks by index, most recently used last (a Map keeps insertion order).
  const cache = new Map<number, Promise<Uint8Array>>();
  let requests = 1;

  /** Fetches blocks [first, last] in one request; caches and returns one promise per block. */
  const fetchBlocks = (first: number, last: number): Promise<Uint8Array>[] => {
    const start = first * blockSize;
    const end = Math.min(size, (last + 1) * blockSize); // exclusive
    const all = (async () => {
      requests++;
      const response = await doFetch(url, { headers: { Range: `bytes=${start}-${end - 1}` } });
      if (response.status !== 206) {
        throw new HttpSourceError(
          `${name}: expected 206 for bytes ${start}-${end - 1}, got ${response.ok ? `HTTP ${response.status}` : await reasonOf(response)}`,
          response.status,
        );
      }
      const bytes = new Uint8Array(await response.arrayBuffer());
      if (bytes.length !== end - start)
        throw new HttpSourceError(`${name}: asked for ${end - start} bytes at ${start}, got ${bytes.length} (file changed on the server?)`, 206);
      return bytes;
    })();
    const blocks: Promise<Uint8Array>[] = [];
    for (let b = first; b <= last; b++) {
      const offset = (b - first) * blockSize;
      const block = all.then((bytes) => bytes.subarray(offset, Math.min(offset + blockSize, bytes.length)));
      block.catch(() => cache.get(b) === block && cache.delete(b)); // a failed fetch is not cached
      cache.set(b, block);
      blocks.push(block);
    }
    while (cache.size > maxBlocks) cache.delete(cache.keys().next().value!);
    return blocks;
  };

  if (whole) await Promise.all(fetchBlocks(0, blockCount - 1));

  return {
    size,
    name,
    get requests() {
      return requests;
    },
    async read(offset, length) {
      checkRange(name, size, offset, length);
      if (length === 0) return new Uint8Array(0);
      const first = Math.floor(offset / blockSize);
      const last = Math.floor((offset + length - 1) / blockSize);
      // Fetch each run of missing blocks with one request; move cached ones to the LRU's end.
      const pending: Promise<Uint8Array>[] = [];
      let runStart = -1;
      for (let b = first; b <= last + 1; b++) {
        const cached = b <= last ? cache.get(b) : undefined;
        if (b <= last && !cached) {
          if (runStart < 0) runStart = b;
          continue;
        }
        if (runStart >= 0) pending.push(...fetchBlocks(runStart, b - 1));
        runStart = -1;
        if (cached) {
          cache.delete(b);
          cache.set(b, cached);
          pending.push(cached);
        }
      }
      const blocks = await Promise.all(pending);
      if (blocks.length === 1) return blocks[0].subarray(offset - first * blockSize, offset - first * blockSize + length);
      const out = new Uint8Array(length);
      let written = 0;
      for (let i = 0; i < blocks.length; i++) {
        const from = i === 0 ? offset - first * blockSize : 0;
        const take = Math.min(blocks[i].length - from, length - written);
        out.set(blocks[i].subarray(from, from + take), written);
        written += take;
      }
      return out;
    },
  };
}
