// A small ZIP writer (PKWARE APPNOTE 6.3: local headers, central directory, end record), enough
// for the PyTorch export download: deflate (node:zlib) or stored entries, CRC-32, UTF-8 names.
// No ZIP64, so an archive and each entry stay under 4 GiB and 65535 entries (checked).
import { promisify } from 'node:util';
import { deflateRaw as deflateRawCallback } from 'node:zlib';

const deflateRaw = promisify(deflateRawCallback);

export interface ZipEntry {
  /** Path inside the archive, '/'-separated, no leading '/' and no '..' part. */
  name: string;
  data: Uint8Array;
  /** Modification time (default: now). */
  date?: Date;
}

export interface ZipOptions {
  /** Deflate entries where that makes them smaller (default true); false stores every entry as is. */
  compress?: boolean;
}

/** CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), the checksum ZIP stores per entry. */
const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/**
 * @example crc32(new TextEncoder().encode('123456789')) // 0xcbf43926
 */
export function crc32(data: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/** MS-DOS date and time as ZIP stores them (local time, 2-second resolution, 1980..2107). */
function dosDateTime(date: Date): { time: number; date: number } {
  const year = Math.min(Math.max(date.getFullYear(), 1980), 2107);
  return {
    time: (date.getHours() << 11) | (date.getMinutes() << 5) | (date.getSeconds() >> 1),
    date: ((year - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate(),
  };
}

function checkName(name: string): void {
  if (!name || name.startsWith('/') || name.includes('\\') || name.split('/').some((part) => part === '..' || part === '')) {
    throw new Error(`zip: bad entry name ${JSON.stringify(name)}`);
  }
}

const MAX32 = 0xffffffff;

/**
 * Builds a ZIP archive in memory.
 * @example
 *   const zip = await zipFiles([{ name: 'export/train.py', data: Buffer.from(source) }]);
 *   // python3 -c "import zipfile; zipfile.ZipFile('x.zip').testzip()"  -> None
 */
export async function zipFiles(entries: ZipEntry[], options: ZipOptions = {}): Promise<Buffer> {
  if (entries.length > 0xffff) throw new Error(`zip: ${entries.length} entries; at most 65535 without ZIP64`);
  const compress = options.compress ?? true;
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  const names = new Set<string>();
  for (const entry of entries) {
    checkName(entry.name);
    if (names.has(entry.name)) throw new Error(`zip: ${entry.name} twice`);
    names.add(entry.name);
    if (entry.data.length > MAX32) throw new Error(`zip: ${entry.name} is larger than 4 GiB`);
    const name = Buffer.from(entry.name, 'utf8');
    const crc = crc32(entry.data);
    let method = 0; // stored
    let body: Uint8Array = entry.data;
    if (compress && entry.data.length > 0) {
      const deflated = await deflateRaw(entry.data);
      if (deflated.length < entry.data.length) {
        method = 8; // deflate
        body = deflated;
      }
    }
    const { time, date } = dosDateTime(entry.date ?? new Date());
    // Bit 11: the name is UTF-8. Sizes and CRC are known up front, so no data descriptor.
    const flags = 0x0800;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0); // local file header signature
    local.writeUInt16LE(20, 4); // version needed: 2.0 (deflate)
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(time, 10);
    local.writeUInt16LE(date, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18); // compressed size
    local.writeUInt32LE(entry.data.length, 22); // uncompressed size
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28); // extra field length

    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0); // central directory header signature
    header.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, spec 2.0 (so the mode below is read)
    header.writeUInt16LE(20, 6);
    header.writeUInt16LE(flags, 8);
    header.writeUInt16LE(method, 10);
    header.writeUInt16LE(time, 12);
    header.writeUInt16LE(date, 14);
    header.writeUInt32LE(crc, 16);
    header.writeUInt32LE(body.length, 20);
    header.writeUInt32LE(entry.data.length, 24);
    header.writeUInt16LE(name.length, 28);
    // 30: extra length, 32: comment length, 34: disk number, 36: internal attributes: all 0
    header.writeUInt32LE(((0o100644 << 16) >>> 0), 38); // external attributes: a regular file, rw-r--r--
    header.writeUInt32LE(offset, 42); // where its local header starts
    central.push(header, name);

    parts.push(local, name, Buffer.from(body.buffer, body.byteOffset, body.byteLength));
    offset += local.length + name.length + body.length;
    if (offset > MAX32) throw new Error('zip: the archive would be larger than 4 GiB');
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); // end of central directory signature
  // 4: this disk, 6: disk with the directory: 0
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  // 20: comment length 0
  return Buffer.concat([...parts, directory, end]);
}
