// ByteSource over a file on disk (Node only): positioned reads through one FileHandle,
// so a window of a multi-GB token file costs only the bytes of that window (like np.memmap).
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { checkRange, type ByteSource } from '../data/byte-source';

/**
 * Opens `path` for random-access reads. The size is taken once at open; the caller closes it.
 * @example
 *   const src = await openFileSource('data/train_ids.npy');
 *   try { const ids = await NpyTokenReader.open(src); ... } finally { await src.close(); }
 */
export async function openFileSource(path: string): Promise<ByteSource & { close(): Promise<void> }> {
  const handle = await open(path, 'r');
  let size: number;
  try {
    size = (await handle.stat()).size;
  } catch (err) {
    await handle.close();
    throw err;
  }
  const name = basename(path);
  return {
    size,
    name,
    async read(offset, length) {
      checkRange(name, size, offset, length);
      const bytes = new Uint8Array(length);
      // FileHandle.read may return fewer bytes than asked (large reads, pipes); loop until full.
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(bytes, done, length - done, offset + done);
        if (bytesRead === 0) {
          throw new Error(`${name}: unexpected end of file at byte ${offset + done} (file shrank after open?)`);
        }
        done += bytesRead;
      }
      return bytes;
    },
    close: () => handle.close(),
  };
}
