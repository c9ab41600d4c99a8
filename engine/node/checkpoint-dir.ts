// CheckpointStore over a directory (Node only): <dir>/<name>.safetensors + <dir>/<name>.json.
// Crash safety: each file is written to '<final>.tmp-<random>', fsynced, then renamed into place,
// and the directory is fsynced; the .json is renamed last and is the commit marker. A crash or a
// full disk at any point leaves either the previous state or a leftover that list() ignores and a
// later save() deletes. The same recipe as write-temp-then-rename in SQLite/LevelDB docs.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { checkCheckpointName, checkpointStep, metaToJson, sortEntries, type CheckpointEntry, type CheckpointStore } from '../checkpoint/checkpoint-store';

const WEIGHTS_EXT = '.safetensors';
const META_EXT = '.json';

export interface DirectoryStoreOptions {
  /**
   * Writes all of `data` through `handle`. Default: `handle.writeFile(data)`. A hook so tests can
   * simulate a disk that fills up mid-write (ENOSPC) without a real full disk.
   */
  writeAll?: (handle: FileHandle, data: Uint8Array, path: string) => Promise<void>;
  /**
   * save() deletes leftovers of interrupted saves (tmp files, weights without metadata) older
   * than this many ms. The delay spares files another process is writing right now. Default 10 min.
   */
  staleMs?: number;
}

function errCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

async function unlinkQuietly(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if (errCode(err) !== 'ENOENT') throw err;
  }
}

/** A plain Uint8Array view of a Buffer, so callers never meet Buffer's view-returning slice(). */
function asUint8(buf: Buffer): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/**
 * fsync a directory so the renames inside it survive a power cut. Some platforms (Windows) and
 * file systems cannot open or sync a directory; there the rename is as durable as it gets.
 */
async function syncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (err) {
    if (!['EISDIR', 'EPERM', 'EINVAL', 'EBADF', 'EACCES', 'ENOTSUP'].includes(errCode(err) ?? '')) throw err;
  } finally {
    await handle?.close();
  }
}

/**
 * A CheckpointStore writing `<dir>/<name>.safetensors` and `<dir>/<name>.json` (the metadata,
 * written last: it marks the checkpoint complete). The directory is created on first save.
 * The store owns the directory: save() deletes stale `.safetensors` files that have no `.json`.
 * @example
 *   const store = directoryCheckpointStore('runs/tiny/checkpoints');
 *   await store.save(checkpointName(step), encodeSafetensors(tensors), { step, config });
 *   await pruneCheckpoints(store, 3);
 */
export function directoryCheckpointStore(dir: string, options: DirectoryStoreOptions = {}): CheckpointStore {
  const writeAll = options.writeAll ?? ((handle, data) => handle.writeFile(data));
  const staleMs = options.staleMs ?? 10 * 60 * 1000;
  const weightsPath = (name: string) => join(dir, name + WEIGHTS_EXT);
  const metaPath = (name: string) => join(dir, name + META_EXT);

  /** Create `path` (must not exist), write `data`, fsync, close. */
  async function writeDurable(path: string, data: Uint8Array): Promise<void> {
    const handle = await open(path, 'wx');
    try {
      await writeAll(handle, data, path);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  /** Best effort: delete old tmp files and weights without metadata, except `keep`'s. */
  async function removeLeftovers(keep: string): Promise<void> {
    try {
      const files = new Set(await readdir(dir));
      const now = Date.now();
      for (const f of files) {
        const isTmp = f.includes('.tmp-');
        const isOrphan = f.endsWith(WEIGHTS_EXT) && !files.has(f.slice(0, -WEIGHTS_EXT.length) + META_EXT);
        if (!isTmp && !isOrphan) continue;
        if (f.startsWith(keep + '.')) continue;
        const path = join(dir, f);
        if (now - (await stat(path)).mtimeMs >= staleMs) await unlinkQuietly(path);
      }
    } catch {
      // Cleanup is housekeeping: a failure here must not fail the save that triggered it.
    }
  }

  async function readMeta(name: string): Promise<unknown> {
    const text = await readFile(metaPath(name), 'utf8');
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new Error(`checkpoint metadata ${metaPath(name)} is not valid JSON (${(err as Error).message})`);
    }
  }

  return {
    async save(name, weights, meta) {
      checkCheckpointName(name);
      const metaBytes = new TextEncoder().encode(metaToJson(name, meta) + '\n');
      const step = checkpointStep(name, meta);
      const tag = randomBytes(6).toString('hex');
      const weightsTmp = `${weightsPath(name)}.tmp-${tag}`;
      const metaTmp = `${metaPath(name)}.tmp-${tag}`;
      let weightsPlaced = false;
      try {
        await mkdir(dir, { recursive: true });
        await removeLeftovers(name);
        // 1. Both files in full on disk under temporary names; a full disk fails here, before
        //    anything visible changes.
        await writeDurable(weightsTmp, weights);
        await writeDurable(metaTmp, metaBytes);
        // 2. Un-commit an older checkpoint of the same name before its weights are replaced, so
        //    new weights are never paired with old metadata.
        await unlinkQuietly(metaPath(name));
        await rename(weightsTmp, weightsPath(name));
        weightsPlaced = true;
        await syncDir(dir);
        // 3. Commit: the metadata appears, and with it the checkpoint.
        await rename(metaTmp, metaPath(name));
        await syncDir(dir);
      } catch (err) {
        await unlinkQuietly(weightsTmp).catch(() => {});
        await unlinkQuietly(metaTmp).catch(() => {});
        if (weightsPlaced)
          await unlinkQuietly(metaPath(name))
            .then(() => unlinkQuietly(weightsPath(name)))
            .catch(() => {});
        // A full disk is the likely failure of a long run: say so in words, not only as errno.
        const full = ['ENOSPC', 'EDQUOT'].includes(errCode(err) ?? '');
        const reason = full ? `the disk is full (${(err as Error).message})` : (err as Error).message;
        throw new Error(`could not save checkpoint ${name} in ${dir}: ${reason} (temporary files removed; other checkpoints are untouched)`, { cause: err });
      }
      return { name, step, bytes: weights.byteLength };
    },

    async list() {
      let files: string[];
      try {
        files = await readdir(dir);
      } catch (err) {
        if (errCode(err) === 'ENOENT') return [];
        throw err;
      }
      const present = new Set(files);
      const entries: CheckpointEntry[] = [];
      for (const f of files) {
        if (!f.endsWith(META_EXT)) continue;
        const name = f.slice(0, -META_EXT.length);
        if (!present.has(name + WEIGHTS_EXT)) continue; // some other JSON file, not a checkpoint
        try {
          checkCheckpointName(name);
          const meta = await readMeta(name);
          const { size } = await stat(weightsPath(name));
          entries.push({ name, step: checkpointStep(name, meta), bytes: size });
        } catch {
          // Not one of ours (odd name, no step) or damaged after commit: list() reports only
          // checkpoints that load(), and load(name) gives the precise error.
          continue;
        }
      }
      return sortEntries(entries);
    },

    async load(name) {
      checkCheckpointName(name);
      let meta: unknown;
      try {
        meta = await readMeta(name);
      } catch (err) {
        if (errCode(err) === 'ENOENT') throw new Error(`no complete checkpoint ${name} in ${dir} (${name}${META_EXT} is missing)`);
        throw err;
      }
      try {
        return { weights: asUint8(await readFile(weightsPath(name))), meta };
      } catch (err) {
        if (errCode(err) === 'ENOENT') throw new Error(`checkpoint ${name} in ${dir} has metadata but no ${name}${WEIGHTS_EXT}`);
        throw err;
      }
    },

    async remove(name) {
      checkCheckpointName(name);
      // Metadata first: a crash in between leaves an incomplete checkpoint, never a dangling one.
      await unlinkQuietly(metaPath(name));
      await unlinkQuietly(weightsPath(name));
    },
  };
}

/**
 * Loads one checkpoint by path, for `--resume PATH`. PATH may be the `.safetensors` file, the
 * `.json` file, the path without extension, or a checkpoint directory (its newest checkpoint).
 * @example
 *   const { weights, meta } = await readCheckpointFile('runs/tiny/checkpoints/ckpt-000500.json');
 *   const { tensors } = decodeSafetensors(weights, 'ckpt-000500.safetensors');
 */
export async function readCheckpointFile(path: string): Promise<{ name: string; weightsPath: string; metaPath: string; weights: Uint8Array; meta: unknown }> {
  const info = await stat(path).catch(() => undefined);
  if (info?.isDirectory()) {
    const entries = await directoryCheckpointStore(path).list();
    const newest = entries.at(-1);
    if (!newest) throw new Error(`no complete checkpoint in directory ${path}`);
    return readCheckpointFile(join(path, newest.name));
  }
  let base = path;
  for (const ext of [WEIGHTS_EXT, META_EXT]) if (base.endsWith(ext)) base = base.slice(0, -ext.length);
  const weightsPath = base + WEIGHTS_EXT;
  const metaPath = base + META_EXT;
  const [weights, metaText] = await Promise.all([
    readFile(weightsPath).catch((err) => (errCode(err) === 'ENOENT' ? undefined : Promise.reject(err))),
    readFile(metaPath, 'utf8').catch((err) => (errCode(err) === 'ENOENT' ? undefined : Promise.reject(err))),
  ]);
  if (!weights && metaText === undefined) throw new Error(`no checkpoint at ${path} (looked for ${weightsPath} and ${metaPath})`);
  if (metaText === undefined) throw new Error(`checkpoint ${weightsPath} is incomplete: ${basename(metaPath)} is missing (interrupted save?)`);
  if (!weights) throw new Error(`checkpoint ${metaPath} has no ${basename(weightsPath)} beside it in ${dirname(weightsPath)}`);
  let meta: unknown;
  try {
    meta = JSON.parse(metaText);
  } catch (err) {
    throw new Error(`checkpoint metadata ${metaPath} is not valid JSON (${(err as Error).message})`);
  }
  return { name: basename(base), weightsPath, metaPath, weights: asUint8(weights), meta };
}
