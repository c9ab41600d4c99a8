// Replacing a small file so that a reader, or a process killed at any moment, sees either the old
// contents or the new ones, never a mix: write '<path>.tmp-<random>' beside it, then rename over
// it (rename within one directory is atomic on POSIX file systems).
import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';

export interface AtomicWriteOptions {
  /** fsync the file before the rename, so the new contents also survive a power cut. Default false: a killed process is enough protection for status files. */
  durable?: boolean;
}

/**
 * Writes `data` to `path` all-or-nothing. The temporary file is removed when the write fails.
 * @example await writeFileAtomic('runs/a/pipeline.json', JSON.stringify(doc) + '\n');
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const tmp = `${path}.tmp-${randomBytes(6).toString('hex')}`;
  try {
    const handle = await open(tmp, 'wx');
    try {
      await handle.writeFile(data);
      if (options.durable) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
}
