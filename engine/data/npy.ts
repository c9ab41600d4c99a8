// NumPy .npy files: header parser, windowed token-id reader and writer. Browser-safe.
// Format reference: numpy/lib/format.py (versions 1.0, 2.0 and 3.0). Token files such as
// train_ids.npy can be several GB, so NpyTokenReader reads windows through a ByteSource
// (like np.memmap) and never loads the whole array.

import type { ByteSource } from './byte-source';

/** Element types this module understands. Token reading accepts the integer ones. */
export type NpyDtype =
  | 'bool' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32'
  | 'int64' | 'uint64' | 'float32' | 'float64';

/** Parsed .npy header. `length` is the element count, the product of `shape`. */
export interface NpyHeader {
  dtype: NpyDtype;
  descr: string; // dtype as written in the file, e.g. '<u2' (kept for messages)
  littleEndian: boolean; // byte order of the data in the file (true for 1-byte types)
  shape: number[]; // [] for a scalar
  fortranOrder: false; // Fortran-order arrays are rejected, except where the layout is the same
  dataOffset: number; // byte offset of the first element
  itemSize: number; // bytes per element
  length: number; // total elements
  version: 1 | 2 | 3; // format major version
}

/** A malformed or unsupported .npy file. The message names the file and what is wrong. */
export class NpyError extends Error {
  override readonly name = 'NpyError';
}

/** Typed arrays matching NpyDtype ('bool' decodes to Uint8Array). */
export type NpyTypedArray =
  | Uint8Array | Int8Array | Uint16Array | Int16Array | Int32Array | Uint32Array
  | BigInt64Array | BigUint64Array | Float32Array | Float64Array;

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
// numpy itself refuses headers over 10 000 bytes by default; 1 MiB is generous and still
// keeps a corrupt length field from making us read (or allocate) gigabytes.
const MAX_HEADER_BYTES = 1 << 20;
// First read when opening a source: numpy's headers are 64-byte aligned and almost always 128.
const FIRST_READ_BYTES = 4096;
// maxId() streams the file this many elements at a time (8 MB per chunk for int64).
const MAX_ID_CHUNK = 1 << 20;
// numpy pads headers with room for a 21-digit first dimension, so the header can be rewritten
// in place after appending data (numpy/lib/format.py GROWTH_AXIS_MAX_DIGITS).
const GROWTH_AXIS_MAX_DIGITS = 21;
const ARRAY_ALIGN = 64;

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** (kind, itemSize) as in a descr like '<u2' -> our dtype name. */
const DTYPE_BY_CODE: Record<string, NpyDtype> = {
  b1: 'bool', i1: 'int8', u1: 'uint8', i2: 'int16', u2: 'uint16', i4: 'int32', u4: 'uint32',
  i8: 'int64', u8: 'uint64', f4: 'float32', f8: 'float64',
};
const CODE_BY_DTYPE = Object.fromEntries(
  Object.entries(DTYPE_BY_CODE).map(([code, dtype]) => [dtype, code]),
) as Record<NpyDtype, string>;
const INTEGER_DTYPES = new Set<NpyDtype>(['int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64']);

// ---------------------------------------------------------------------------------------------
// Header parsing

/** Where the header text sits, from the fixed-size preamble (magic, version, length field). */
interface Preamble {
  version: 1 | 2 | 3;
  textStart: number; // first byte of the header dict
  dataOffset: number; // first byte after the header
}

function readPreamble(prefix: Uint8Array, fileSize: number, name: string): Preamble {
  const fail = (msg: string) => new NpyError(`${name}: ${msg}`);
  for (let i = 0; i < Math.min(MAGIC.length, prefix.length); i++) {
    if (prefix[i] !== MAGIC[i]) {
      throw fail(`not an .npy file (the first bytes are not the magic string "\\x93NUMPY")`);
    }
  }
  const need = (n: number, what: string) => {
    if (fileSize < n) throw fail(`file is truncated: ${fileSize} bytes, too short for ${what}`);
    if (prefix.length < n) throw fail(`need the first ${n} bytes to read ${what}, got ${prefix.length}`);
  };
  need(8, 'the magic string and format version');
  const major = prefix[6], minor = prefix[7];
  if (!(major === 1 || major === 2 || major === 3) || minor !== 0) {
    throw fail(`unsupported .npy format version ${major}.${minor} (supported: 1.0, 2.0, 3.0)`);
  }
  // 1.0 stores the header length in 2 bytes; 2.0 and 3.0 in 4 (both little endian).
  const textStart = major === 1 ? 10 : 12;
  need(textStart, 'the header length');
  const view = new DataView(prefix.buffer, prefix.byteOffset, textStart);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataOffset = textStart + headerLength;
  if (dataOffset > fileSize) {
    throw fail(
      `header length field says ${headerLength} bytes, which runs past the end of the file ` +
        `(${fileSize} bytes): truncated or corrupt`,
    );
  }
  if (headerLength > MAX_HEADER_BYTES) {
    throw fail(`header of ${headerLength} bytes is larger than the ${MAX_HEADER_BYTES}-byte limit: corrupt file?`);
  }
  return { version: major, textStart, dataOffset };
}

/**
 * Parses the header of an .npy file from its first bytes (at least up to the data offset;
 * the whole file is fine too). `fileSize` is checked against the shape, so a short file fails
 * here and not halfway through training. Throws NpyError with a message naming `name`.
 * @example
 *   const h = parseNpyHeader(bytes, bytes.length, 'train_ids.npy');
 *   h.dtype; h.shape; // 'uint16', [9035582]
 */
export function parseNpyHeader(prefix: Uint8Array, fileSize: number, name = 'array.npy'): NpyHeader {
  const fail = (msg: string) => new NpyError(`${name}: ${msg}`);
  const { version, textStart, dataOffset } = readPreamble(prefix, fileSize, name);
  if (prefix.length < dataOffset) throw fail(`need the first ${dataOffset} bytes to read the header, got ${prefix.length}`);
  const raw = prefix.subarray(textStart, dataOffset);
  const text = version === 3 ? decodeUtf8(raw, name) : decodeLatin1(raw);

  const dict = parsePythonLiteral(text, name);
  if (dict === null || typeof dict !== 'object' || Array.isArray(dict) || dict instanceof PyTuple) {
    throw fail(`header is not a Python dict: ${clip(text)}`);
  }
  for (const key of ['descr', 'fortran_order', 'shape']) {
    if (!(key in dict)) throw fail(`header is missing '${key}': ${clip(text)}`);
  }

  const { dtype, littleEndian, itemSize, descr } = parseDescr(dict.descr, name);
  const shape = parseShape(dict.shape, name);

  if (typeof dict.fortran_order !== 'boolean') {
    throw fail(`header 'fortran_order' must be True or False, got ${clip(text)}`);
  }
  // With at most one dimension longer than 1, Fortran and C order lay out the same bytes.
  if (dict.fortran_order && shape.filter((d) => d > 1).length > 1) {
    throw fail(
      `Fortran-order arrays are not supported (shape ${shapeRepr(shape)}); save with np.ascontiguousarray`,
    );
  }

  // Element count, refusing overflow: a corrupt shape must fail here, not in an allocation.
  let length = 1;
  if (shape.includes(0)) length = 0;
  else {
    for (const d of shape) {
      if (length > Math.floor(Number.MAX_SAFE_INTEGER / itemSize / d)) {
        throw fail(`shape ${shapeRepr(shape)} is too large (more than 2^53 bytes): corrupt header?`);
      }
      length *= d;
    }
  }
  const dataBytes = length * itemSize;
  if (dataOffset + dataBytes > fileSize) {
    throw fail(
      `data is truncated: shape ${shapeRepr(shape)} of ${descr} needs ${dataBytes} bytes after the ` +
        `header, but the file has only ${fileSize - dataOffset}`,
    );
  }
  return { dtype, descr, littleEndian, shape, fortranOrder: false, dataOffset, itemSize, length, version };
}

function parseDescr(descr: PyValue, name: string) {
  const fail = (msg: string) => new NpyError(`${name}: ${msg}`);
  if (typeof descr !== 'string') {
    throw fail(`unsupported dtype ${pyRepr(descr)}: structured dtypes are not supported`);
  }
  const m = /^([<>|=]?)([a-zA-Z])(\d+)$/.exec(descr);
  const dtype = m ? DTYPE_BY_CODE[m[2] + m[3]] : undefined;
  if (!m || !dtype) {
    const supported = Object.keys(DTYPE_BY_CODE).join(', ');
    throw fail(`unsupported dtype '${descr}' (supported kinds: ${supported}, any byte order)`);
  }
  const itemSize = Number(m[3]);
  const order = m[1];
  if (order === '|' && itemSize > 1) throw fail(`dtype '${descr}' has no byte order but ${itemSize}-byte items`);
  // '=' (native) never appears in files numpy writes; read it as little endian like every JS host.
  const littleEndian = itemSize === 1 || order !== '>';
  return { dtype, littleEndian, itemSize, descr };
}

function parseShape(shape: PyValue, name: string): number[] {
  // numpy writes a tuple; '(5)' is just the int 5 in Python, so accept a bare int as 1-D too.
  const dims = typeof shape === 'number' ? [shape] : shape instanceof PyTuple || Array.isArray(shape) ? itemsOf(shape) : null;
  if (!dims) throw new NpyError(`${name}: header 'shape' must be a tuple of integers, got ${pyRepr(shape)}`);
  return dims.map((d) => {
    if (typeof d !== 'number' || !Number.isInteger(d)) {
      throw new NpyError(`${name}: shape ${pyRepr(shape)} has a non-integer dimension ${pyRepr(d)}`);
    }
    if (d < 0) throw new NpyError(`${name}: shape ${pyRepr(shape)} has a negative dimension ${d}`);
    if (!Number.isSafeInteger(d)) throw new NpyError(`${name}: shape ${pyRepr(shape)} has an absurd dimension`);
    return d;
  });
}

function decodeLatin1(bytes: Uint8Array): string {
  // Exact latin1; TextDecoder('latin1') is really windows-1252 and remaps 0x80-0x9f.
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

function decodeUtf8(bytes: Uint8Array, name: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new NpyError(`${name}: version 3.0 header is not valid UTF-8`);
  }
}

// ---------------------------------------------------------------------------------------------
// A small parser for the Python literal subset numpy writes (what ast.literal_eval accepts
// for a header): dicts, tuples, lists, strings, ints, floats, True/False/None.

/** A Python tuple, kept apart from lists only so `(5)` vs `(5,)` can be told apart. */
class PyTuple {
  constructor(readonly items: PyValue[]) {}
}
type PyValue = string | number | boolean | null | PyValue[] | PyTuple | { [key: string]: PyValue };

const itemsOf = (v: PyTuple | PyValue[]) => (v instanceof PyTuple ? v.items : v);
const clip = (text: string) => JSON.stringify(text.length > 120 ? text.slice(0, 120) + '…' : text.trimEnd());

function pyRepr(v: PyValue): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'number') return String(v);
  if (v instanceof PyTuple) return v.items.length === 1 ? `(${pyRepr(v.items[0])},)` : `(${v.items.map(pyRepr).join(', ')})`;
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  return `{${Object.entries(v).map(([k, x]) => `'${k}': ${pyRepr(x)}`).join(', ')}}`;
}

function parsePythonLiteral(text: string, name: string): PyValue {
  let pos = 0;
  const fail = (msg: string): never => {
    throw new NpyError(`${name}: cannot parse header ${clip(text)}: ${msg} at column ${pos}`);
  };
  const skipSpace = () => {
    while (pos < text.length && /\s/.test(text[pos])) pos++;
  };
  const expect = (ch: string) => {
    skipSpace();
    if (text[pos] !== ch) fail(`expected '${ch}'`);
    pos++;
  };

  // Items up to `close`, allowing a trailing comma. Returns whether any comma was seen.
  const sequence = (close: string, item: () => void): boolean => {
    let comma = false;
    for (;;) {
      skipSpace();
      if (text[pos] === close) break;
      item();
      skipSpace();
      if (text[pos] === ',') {
        comma = true;
        pos++;
      } else if (text[pos] !== close) fail(`expected ',' or '${close}'`);
    }
    pos++;
    return comma;
  };

  const value = (depth: number): PyValue => {
    if (depth > 32) fail('nesting too deep');
    skipSpace();
    const ch = text[pos];
    if (ch === '{') {
      pos++;
      const dict: { [key: string]: PyValue } = Object.create(null);
      sequence('}', () => {
        const key = value(depth + 1);
        if (typeof key !== 'string') fail('dict keys must be strings');
        expect(':');
        dict[key as string] = value(depth + 1);
      });
      return dict;
    }
    if (ch === '(' || ch === '[') {
      pos++;
      const items: PyValue[] = [];
      const comma = sequence(ch === '(' ? ')' : ']', () => items.push(value(depth + 1)));
      if (ch === '[') return items;
      // '(x)' is just x; '()' and '(x,)' are tuples.
      return items.length === 1 && !comma ? items[0] : new PyTuple(items);
    }
    const str = /^[uUbB]?(['"])/.exec(text.slice(pos, pos + 2));
    if (str) return string(str[0].length, str[1]);
    const num = /^[+-]?(\d[\d_]*\.?\d*|\.\d+)([eE][+-]?\d+)?[lL]?/.exec(text.slice(pos));
    if (num) {
      pos += num[0].length;
      const lit = num[0].replace(/[_lL]/g, '');
      const n = Number(lit);
      if (Number.isNaN(n)) fail(`bad number ${num[0]}`);
      return n;
    }
    for (const [word, v] of [['True', true], ['False', false], ['None', null]] as const) {
      if (text.startsWith(word, pos) && !/\w/.test(text[pos + word.length] ?? '')) {
        pos += word.length;
        return v;
      }
    }
    return fail(pos >= text.length ? 'unexpected end of header' : `unexpected ${JSON.stringify(ch)}`);
  };

  const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', '\\': '\\', "'": "'", '"': '"' };
  const string = (prefixLength: number, quote: string): string => {
    pos += prefixLength;
    let out = '';
    for (;;) {
      if (pos >= text.length) fail('unterminated string');
      const c = text[pos++];
      if (c === quote) return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = text[pos++] ?? '';
      const hex = e === 'x' ? 2 : e === 'u' ? 4 : 0;
      if (hex) {
        const code = text.slice(pos, pos + hex);
        if (!/^[0-9a-fA-F]+$/.test(code) || code.length !== hex) fail('bad escape');
        out += String.fromCharCode(parseInt(code, 16));
        pos += hex;
      } else out += ESCAPES[e] ?? '\\' + e;
    }
  };

  const result = value(0);
  skipSpace(); // the header is padded with spaces and ends in '\n'
  if (pos !== text.length) fail('unexpected text after the header');
  return result;
}

// ---------------------------------------------------------------------------------------------
// Reading

/**
 * Reads just the header of an .npy file from a ByteSource (one small read, two for huge headers).
 * @example
 *   const h = await readNpyHeader(await openFileSource('data/train_ids.npy'));
 */
export async function readNpyHeader(source: ByteSource): Promise<NpyHeader> {
  let prefix = await source.read(0, Math.min(source.size, FIRST_READ_BYTES));
  const { dataOffset } = readPreamble(prefix.subarray(0, 12), source.size, source.name);
  if (dataOffset > prefix.length) prefix = await source.read(0, dataOffset);
  return parseNpyHeader(prefix, source.size, source.name);
}

/** Reverses the bytes of each `itemSize`-byte element, in place (big <-> little endian). */
function swapBytes(bytes: Uint8Array, itemSize: number): void {
  for (let i = 0; i < bytes.length; i += itemSize) {
    for (let a = i, b = i + itemSize - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

/** Copies `bytes` into a fresh, aligned buffer in host byte order. */
function toHostOrder(bytes: Uint8Array, itemSize: number, littleEndian: boolean): ArrayBuffer {
  // Own the memory: aligned, exact-size, safe to hand out. Not bytes.slice(): on a Node Buffer
  // that is a view into a shared pool.
  const copy = new Uint8Array(bytes);
  if (itemSize > 1 && littleEndian !== HOST_LITTLE_ENDIAN) swapBytes(copy, itemSize);
  return copy.buffer;
}

function typedView(dtype: NpyDtype, buffer: ArrayBuffer): NpyTypedArray {
  switch (dtype) {
    case 'bool': case 'uint8': return new Uint8Array(buffer);
    case 'int8': return new Int8Array(buffer);
    case 'uint16': return new Uint16Array(buffer);
    case 'int16': return new Int16Array(buffer);
    case 'int32': return new Int32Array(buffer);
    case 'uint32': return new Uint32Array(buffer);
    case 'int64': return new BigInt64Array(buffer);
    case 'uint64': return new BigUint64Array(buffer);
    case 'float32': return new Float32Array(buffer);
    case 'float64': return new Float64Array(buffer);
  }
}

/**
 * Decodes a whole in-memory .npy file into a typed array in host byte order (C order, flat).
 * For small arrays (fixtures, embeddings); token files go through NpyTokenReader.
 * @example
 *   const { header, data } = decodeNpy(encodeNpy(new Int32Array([1, 2, 3]))); // data: Int32Array
 */
export function decodeNpy(bytes: Uint8Array, name = 'array.npy'): { header: NpyHeader; data: NpyTypedArray } {
  const header = parseNpyHeader(bytes, bytes.length, name);
  const raw = bytes.subarray(header.dataOffset, header.dataOffset + header.length * header.itemSize);
  return { header, data: typedView(header.dtype, toHostOrder(raw, header.itemSize, header.littleEndian)) };
}

/**
 * Windowed reader of a 1-D integer .npy array of token ids, like np.memmap: each read fetches
 * only its window from the ByteSource. Ids come back as Int32Array (what tf.tensor wants).
 * @example
 *   const ids = await NpyTokenReader.open(await openFileSource('data/train_ids.npy'));
 *   const window = await ids.read(1000, 257); // tokens [1000, 1257)
 */
export class NpyTokenReader {
  /** Number of tokens. */
  readonly length: number;

  private constructor(
    private readonly source: ByteSource,
    readonly header: NpyHeader,
  ) {
    this.length = header.length;
  }

  /** Reads and checks the header: the array must be 1-D with an integer dtype. */
  static async open(source: ByteSource): Promise<NpyTokenReader> {
    const header = await readNpyHeader(source);
    if (header.shape.length !== 1) {
      throw new NpyError(
        `${source.name}: token ids must be a 1-D array, got shape ${shapeRepr(header.shape)}; ` +
          `save with arr.reshape(-1)`,
      );
    }
    if (!INTEGER_DTYPES.has(header.dtype)) {
      throw new NpyError(`${source.name}: token ids must be integers, got dtype '${header.descr}' (${header.dtype})`);
    }
    return new NpyTokenReader(source, header);
  }

  /** Tokens [start, start + count) as Int32Array; throws naming the index of any id outside int32. */
  async read(start: number, count: number): Promise<Int32Array> {
    const { name } = this.source;
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(count) || start < 0 || count < 0 || start + count > this.length) {
      throw new RangeError(`${name}: cannot read tokens [${start}, ${start + count}) of ${this.length}`);
    }
    const { itemSize, dataOffset, littleEndian, dtype, descr } = this.header;
    const bytes = await this.source.read(dataOffset + start * itemSize, count * itemSize);
    const buffer = toHostOrder(bytes, itemSize, littleEndian);
    const tooBig = (i: number, value: bigint | number) =>
      new NpyError(
        `${name}: token id at index ${start + i} is ${value} (dtype '${descr}'), which does not fit in int32`,
      );

    switch (dtype) {
      case 'int32':
        return new Int32Array(buffer);
      case 'uint32': {
        // Same bits as int32; a negative int32 is a uint32 at or above 2^31.
        const ids = new Int32Array(buffer);
        for (let i = 0; i < ids.length; i++) if (ids[i] < 0) throw tooBig(i, ids[i] >>> 0);
        return ids;
      }
      case 'int64':
      case 'uint64': {
        // Each id as two 32-bit words; it fits in int32 when the high word is the sign of the low.
        const words = new Int32Array(buffer);
        const lo = HOST_LITTLE_ENDIAN ? 0 : 1, hi = 1 - lo;
        const signed = dtype === 'int64';
        const ids = new Int32Array(count);
        for (let i = 0; i < count; i++) {
          const l = words[2 * i + lo], h = words[2 * i + hi];
          if (signed ? h !== l >> 31 : h !== 0 || l < 0) {
            const big = (BigInt(h >>> 0) << 32n) | BigInt(l >>> 0);
            throw tooBig(i, signed ? BigInt.asIntN(64, big) : big);
          }
          ids[i] = l;
        }
        return ids;
      }
      default:
        // int8, uint8, int16, uint16: always fit; the Int32Array constructor converts.
        return new Int32Array(typedView(dtype, buffer) as Uint8Array | Int8Array | Uint16Array | Int16Array);
    }
  }

  /**
   * Largest id in the whole file (-1 if empty), read in chunks of about a million ids so memory
   * stays bounded on multi-GB files. Also validates every id, since read() checks the range.
   */
  async maxId(): Promise<number> {
    let max = -1;
    for (let start = 0; start < this.length; start += MAX_ID_CHUNK) {
      const ids = await this.read(start, Math.min(MAX_ID_CHUNK, this.length - start));
      for (let i = 0; i < ids.length; i++) if (ids[i] > max) max = ids[i];
    }
    return max;
  }
}

// ---------------------------------------------------------------------------------------------
// Writing

function shapeRepr(shape: number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

function dtypeOf(data: NpyTypedArray): NpyDtype {
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Uint16Array) return 'uint16';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Uint32Array) return 'uint32';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof BigUint64Array) return 'uint64';
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  throw new TypeError('encodeNpy: unsupported array type');
}

/**
 * The header bytes (magic through padding) numpy 1.24 would write for a C-order array, so the
 * data can be streamed after it. Like numpy it leaves room for a 21-digit first dimension:
 * the header size does not depend on shape[0], so a writer can put a placeholder header first
 * and overwrite it with the final length once all tokens are written.
 * @example
 *   const head = encodeNpyHeader('uint16', [tokenCount]); // head.length is a multiple of 64
 */
export function encodeNpyHeader(dtype: NpyDtype, shape: number[]): Uint8Array {
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new RangeError(`encodeNpyHeader: bad dimension ${d}`);
  }
  const code = CODE_BY_DTYPE[dtype];
  const descr = (code[1] === '1' ? '|' : '<') + code;
  let text = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeRepr(shape)}, }`;
  if (shape.length > 0) text += ' '.repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - String(shape[0]).length));
  // Pad with spaces and a final '\n' so the data starts 64-byte aligned (numpy's _wrap_header;
  // note it pads a full 64 when already aligned). Version 2.0 only when 1.0's 2-byte length overflows.
  for (const version of [1, 2] as const) {
    const textStart = version === 1 ? 10 : 12;
    const hlen = text.length + 1;
    const padlen = ARRAY_ALIGN - ((textStart + hlen) % ARRAY_ALIGN);
    const headerLength = hlen + padlen;
    if (version === 1 && headerLength > 0xffff) continue;
    const out = new Uint8Array(textStart + headerLength).fill(0x20);
    out.set(MAGIC, 0);
    out[6] = version; // format version major.minor = version.0
    out[7] = 0;
    const view = new DataView(out.buffer);
    if (version === 1) view.setUint16(8, headerLength, true);
    else view.setUint32(8, headerLength, true);
    for (let i = 0; i < text.length; i++) out[textStart + i] = text.charCodeAt(i);
    out[out.length - 1] = 0x0a;
    return out;
  }
  throw new RangeError('encodeNpyHeader: header too large'); // unreachable: 2.0 holds 4 GB
}

/**
 * Encodes a typed array as a little-endian, C-order .npy file (version 1.0; np.load reads it).
 * `shape` defaults to 1-D and must multiply out to `data.length`.
 * @example
 *   const bytes = encodeNpy(new Uint16Array([50256, 11, 3]));      // shape (3,), '<u2'
 *   const grid = encodeNpy(new Int32Array(6), [2, 3]);              // shape (2, 3)
 */
export function encodeNpy(data: NpyTypedArray, shape: number[] = [data.length]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) {
    throw new RangeError(`encodeNpy: shape ${shapeRepr(shape)} holds ${count} elements, data has ${data.length}`);
  }
  const header = encodeNpyHeader(dtypeOf(data), shape);
  const out = new Uint8Array(header.length + data.byteLength);
  out.set(header, 0);
  const body = out.subarray(header.length);
  body.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  if (!HOST_LITTLE_ENDIAN) swapBytes(body, data.BYTES_PER_ELEMENT); // .npy we write is always '<'
  return out;
}
