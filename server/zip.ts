// ZIP archives for the PyTorch export download, written by fflate (deflate, CRC-32, UTF-8 names).
// This file adds what the download needs on top: entry names that stay inside the folder, no
// duplicates, and the limits of an archive without ZIP64 (checked before anything is compressed).
import { zip, type AsyncZippable } from 'fflate';

export interface ZipEntry {
  /** Path inside the archive, '/'-separated, no leading '/' and no '..' part. */
  name: string;
  data: Uint8Array;
  /** Modification time (default: now). */
  date?: Date;
}

export interface ZipOptions {
  /** Deflate the entries (default true); false stores every entry as is. */
  compress?: boolean;
}

const MAX_ENTRIES = 0xffff;
const MAX32 = 0xffffffff;
/** External attributes: a regular Unix file, rw-r--r-- (the `os: 3` below makes unzip read them). */
const REGULAR_FILE = (0o100644 << 16) >>> 0;
const UNIX = 3;

function checkName(name: string): void {
  if (!name || name.startsWith('/') || name.includes('\\') || name.split('/').some((part) => part === '..' || part === '')) {
    throw new Error(`zip: bad entry name ${JSON.stringify(name)}`);
  }
}

/** Refuses names that would leave the folder, duplicates, and sizes past what ZIP without ZIP64 holds. */
function checkEntries(entries: ZipEntry[]): void {
  if (entries.length > MAX_ENTRIES) throw new Error(`zip: ${entries.length} entries; at most 65535 without ZIP64`);
  const names = new Set<string>();
  let total = 0;
  for (const entry of entries) {
    checkName(entry.name);
    if (names.has(entry.name)) throw new Error(`zip: ${entry.name} twice`);
    names.add(entry.name);
    if (entry.data.length > MAX32) throw new Error(`zip: ${entry.name} is larger than 4 GiB`);
    total += entry.data.length;
  }
  // Deflate never grows data by more than a few bytes per 64 KiB block, so stored sizes bound it.
  if (total > MAX32) throw new Error('zip: the archive would be larger than 4 GiB');
}

/**
 * Builds a ZIP archive in memory.
 * @example
 *   const zip = await zipFiles([{ name: 'export/train.py', data: Buffer.from(source) }]);
 *   // python3 -c "import zipfile; zipfile.ZipFile('x.zip').testzip()"  -> None
 */
export async function zipFiles(entries: ZipEntry[], options: ZipOptions = {}): Promise<Buffer> {
  checkEntries(entries);
  const level = options.compress === false ? 0 : 6;
  const files: AsyncZippable = {};
  for (const entry of entries) {
    files[entry.name] = [entry.data, { level, mtime: entry.date ?? new Date(), os: UNIX, attrs: REGULAR_FILE }];
  }
  const archive = await new Promise<Uint8Array>((resolve, reject) => {
    zip(files, { consume: false }, (err, data) => (err ? reject(err) : resolve(data)));
  });
  return Buffer.from(archive.buffer, archive.byteOffset, archive.byteLength);
}
