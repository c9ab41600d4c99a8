// Random-access bytes behind one small interface, so readers such as npy.ts can take a window
// out of a multi-GB file without loading it: a file on disk (engine/node/file-source.ts),
// a File/Blob in the browser, or plain memory in tests.

/** Random-access bytes: a file on disk (Node), a File/Blob (browser, via slice), or memory. */
export interface ByteSource {
  /** Total size in bytes. */
  readonly size: number;
  /**
   * Bytes [offset, offset + length). Resolves with exactly `length` bytes or rejects with an
   * error naming the source. The result may share memory with the source: treat it as read-only.
   */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Used in error messages, usually the file name. */
  readonly name: string;
}

/**
 * Throws unless [offset, offset + length) is a valid range of a source of `size` bytes.
 * Shared by every ByteSource so they all fail the same way, before touching any I/O.
 */
export function checkRange(name: string, size: number, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw new RangeError(`${name}: invalid read of ${length} bytes at offset ${offset}`);
  }
  if (offset + length > size) {
    throw new RangeError(
      `${name}: read of ${length} bytes at offset ${offset} runs past the end (size ${size} bytes)`,
    );
  }
}

/**
 * A ByteSource over bytes already in memory. Reads are views, not copies.
 * @example
 *   const src = memorySource(encodeNpy(new Uint16Array([1, 2, 3])), 'ids.npy');
 *   await src.read(0, 6); // the magic string "\x93NUMPY"
 */
export function memorySource(bytes: Uint8Array, name = 'memory'): ByteSource {
  return {
    size: bytes.length,
    name,
    async read(offset, length) {
      checkRange(name, bytes.length, offset, length);
      return bytes.subarray(offset, offset + length);
    },
  };
}

/**
 * A ByteSource over a Blob or File (e.g. from an <input type="file">). Each read slices the
 * blob, so the browser only loads the bytes asked for.
 * @example
 *   const src = blobSource(input.files[0]); // name defaults to the File's name
 */
export function blobSource(blob: Blob, name?: string): ByteSource {
  const fileName = (blob as { name?: unknown }).name; // set when the Blob is a File
  const label = name ?? (typeof fileName === 'string' && fileName ? fileName : 'blob');
  return {
    size: blob.size,
    name: label,
    async read(offset, length) {
      checkRange(label, blob.size, offset, length);
      const bytes = new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
      // A File can change on disk after it was picked; the slice then comes back short.
      if (bytes.length !== length) {
        throw new Error(`${label}: expected ${length} bytes at offset ${offset}, got ${bytes.length} (file changed?)`);
      }
      return bytes;
    },
  };
}
