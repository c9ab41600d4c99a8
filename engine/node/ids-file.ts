// A token-id .npy file written as the ids arrive: a header with room for any length first, the
// ids appended, the header rewritten with the final length at the end. Written under a temp
// name and renamed, so the real name only ever holds a whole file.

import { open, rename, rm } from 'node:fs/promises';
import { encodeNpyHeader } from '../data/npy';

/** The writes IdsFileWriter needs (a FileHandle does them; tests inject a disk that fills up). */
export interface OutputFile {
  write(bytes: Uint8Array, position: number): Promise<unknown>;
  close(): Promise<void>;
}

const openFile = async (file: string): Promise<OutputFile> => {
  const handle = await open(file, 'w');
  return { write: (bytes, position) => handle.write(bytes, 0, bytes.length, position), close: () => handle.close() };
};

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * @example
 *   const w = await IdsFileWriter.create('train_ids.npy', 'uint16');
 *   await w.append(new Uint32Array([1, 2, 3])); await w.finish(); // shape (3,)
 */
export class IdsFileWriter {
  count = 0; // ids written
  private position: number;
  private scratch = new Uint16Array(0); // reused for every append: no garbage per chunk

  private constructor(
    private readonly file: string,
    private readonly tmp: string,
    private readonly out: OutputFile,
    private readonly dtype: 'uint16' | 'uint32',
  ) {
    this.position = encodeNpyHeader(dtype, [0]).length;
  }

  static async create(file: string, dtype: 'uint16' | 'uint32', openOutput: (file: string) => Promise<OutputFile> = openFile): Promise<IdsFileWriter> {
    if (!HOST_LITTLE_ENDIAN) throw new Error('IdsFileWriter writes little-endian ids and needs a little-endian host');
    const tmp = `${file}.part`;
    const writer = new IdsFileWriter(file, tmp, await openOutput(tmp), dtype);
    await writer.out.write(encodeNpyHeader(dtype, [0]), 0);
    return writer;
  }

  /** Appends ids (each must fit the dtype). */
  async append(ids: Uint8Array | Uint16Array | Uint32Array): Promise<void> {
    if (ids.length === 0) return;
    const typed = this.dtype === 'uint32' ? (ids instanceof Uint32Array ? ids : Uint32Array.from(ids)) : this.asUint16(ids);
    await this.out.write(new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength), this.position);
    this.position += typed.byteLength;
    this.count += ids.length;
  }

  private asUint16(ids: Uint8Array | Uint16Array | Uint32Array): Uint16Array {
    if (ids instanceof Uint16Array) return ids;
    if (this.scratch.length < ids.length) this.scratch = new Uint16Array(ids.length);
    const out = this.scratch.subarray(0, ids.length);
    out.set(ids);
    return out;
  }

  /** Writes the final header and gives the file its real name. */
  async finish(): Promise<void> {
    const header = encodeNpyHeader(this.dtype, [this.count]);
    await this.out.write(header, 0);
    await this.out.close();
    await rename(this.tmp, this.file);
  }

  /** Closes and removes the partial file (after an error). */
  async abandon(): Promise<void> {
    await this.out.close().catch(() => {});
    await rm(this.tmp, { force: true });
  }
}
