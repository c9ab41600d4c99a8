// The safetensors file format (https://github.com/huggingface/safetensors), used for checkpoint
// weights and optimizer state so Python (`safetensors`, or plain numpy) can read them directly.
// Layout: u64 little-endian header length N, N bytes of UTF-8 JSON header, then the data buffer.
// The header maps each tensor name to {dtype, shape, data_offsets: [begin, end]} (offsets relative
// to the buffer start) plus an optional "__metadata__" object of string values. Tensors are
// little-endian, C order, contiguous, non-overlapping and cover the buffer exactly.
// Browser-safe: bytes in, bytes out.

/** Element types of the format, spelled as in the header. */
export type StDtype = 'F32' | 'F16' | 'BF16' | 'F64' | 'I32' | 'I64' | 'U8' | 'I8' | 'U16' | 'I16' | 'U32' | 'BOOL';

/** One tensor: its type, its shape and its raw little-endian bytes in C order. */
export interface StTensor {
  dtype: StDtype;
  shape: number[];
  /** Raw little-endian bytes; byteLength = product(shape) × itemsize. */
  data: Uint8Array;
}

/** A malformed file or an invalid tensor; the message names the file and the tensor. */
export class SafetensorsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SafetensorsError';
  }
}

/** Bytes per element of each dtype. */
export const DTYPE_SIZES: Readonly<Record<StDtype, number>> = {
  F64: 8,
  I64: 8,
  F32: 4,
  I32: 4,
  U32: 4,
  F16: 2,
  BF16: 2,
  I16: 2,
  U16: 2,
  U8: 1,
  I8: 1,
  BOOL: 1,
};

/** The reference implementation refuses headers above 100 MB; so do we, before allocating. */
export const MAX_HEADER_BYTES = 100_000_000;

const METADATA_KEY = '__metadata__';

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function isDtype(x: unknown): x is StDtype {
  return typeof x === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_SIZES, x);
}

function isShape(x: unknown): x is number[] {
  return Array.isArray(x) && x.every((d) => Number.isSafeInteger(d) && d >= 0);
}

/**
 * Bytes a tensor of `shape` and `itemSize` needs, or Infinity beyond 2^53. Stops early, so a
 * hostile shape such as [1e15, 1e15] never turns into an inexact number or an allocation.
 */
function byteLength(shape: number[], itemSize: number): number {
  if (shape.includes(0)) return 0;
  let bytes = itemSize;
  for (const d of shape) {
    bytes *= d;
    if (bytes > Number.MAX_SAFE_INTEGER) return Infinity;
  }
  return bytes;
}

/** "file: tensor "name": " prefix shared by every per-tensor message. */
function where(file: string, tensor?: string): string {
  return tensor === undefined ? `${file}: ` : `${file}: tensor ${JSON.stringify(tensor)}: `;
}

/**
 * Serialises tensors and string metadata into one safetensors file.
 * The header keeps insertion order; in the buffer, tensors are laid out by item size (8, 4, 2,
 * then 1 byte, stable) so every tensor starts aligned to its item size and readers can take
 * zero-copy typed-array views. The header is space-padded so the buffer starts at a multiple of 8.
 * @example
 *   const bytes = encodeSafetensors({ wte: f32Tensor([2, 2], new Float32Array([1, 2, 3, 4])) }, { step: '100' });
 *   decodeSafetensors(bytes).tensors.get('wte')!.shape; // [2, 2]
 */
export function encodeSafetensors(tensors: Map<string, StTensor> | Record<string, StTensor>, metadata?: Record<string, string>): Uint8Array {
  const file = 'encodeSafetensors';
  const entries = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const seen = new Set<string>();
  for (const [name, t] of entries) {
    if (typeof name !== 'string' || name.length === 0) throw new SafetensorsError(`${file}: tensor names must be non-empty strings`);
    if (name === METADATA_KEY) throw new SafetensorsError(`${file}: "${METADATA_KEY}" is reserved and cannot name a tensor`);
    if (seen.has(name)) throw new SafetensorsError(`${where(file, name)}duplicate name`);
    seen.add(name);
    if (!isDtype(t.dtype)) throw new SafetensorsError(`${where(file, name)}unknown dtype ${JSON.stringify(t.dtype)}`);
    if (!isShape(t.shape)) throw new SafetensorsError(`${where(file, name)}shape ${JSON.stringify(t.shape)} must be non-negative integers`);
    if (!(t.data instanceof Uint8Array)) throw new SafetensorsError(`${where(file, name)}data must be a Uint8Array of raw bytes`);
    const need = byteLength(t.shape, DTYPE_SIZES[t.dtype]);
    if (need !== t.data.byteLength) {
      throw new SafetensorsError(
        `${where(file, name)}has ${t.data.byteLength} bytes but shape ${JSON.stringify(t.shape)} of ${t.dtype} needs ${need === Infinity ? 'over 2^53' : need}`,
      );
    }
  }
  if (metadata !== undefined) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new SafetensorsError(`${file}: metadata ${JSON.stringify(k)} must be a string, got ${typeof v}`);
    }
  }

  // Buffer layout: widest item size first (Array.prototype.sort is stable), so offsets stay aligned.
  const layout = entries.map(([name, t], i) => ({ name, t, i })).sort((a, b) => DTYPE_SIZES[b.t.dtype] - DTYPE_SIZES[a.t.dtype]);
  const offsets = new Map<string, [number, number]>();
  let bufferBytes = 0;
  for (const { name, t } of layout) {
    offsets.set(name, [bufferBytes, bufferBytes + t.data.byteLength]);
    bufferBytes += t.data.byteLength;
  }

  // Built by hand rather than JSON.stringify(object): an object would move integer-like names
  // ("0", "1") to the front, and the header should list tensors in the caller's order.
  const parts: string[] = [];
  if (metadata !== undefined) parts.push(`${JSON.stringify(METADATA_KEY)}:${JSON.stringify(metadata)}`);
  for (const [name, t] of entries) {
    const info = { dtype: t.dtype, shape: t.shape, data_offsets: offsets.get(name) };
    parts.push(`${JSON.stringify(name)}:${JSON.stringify(info)}`);
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const headerBytes = Math.ceil(json.length / 8) * 8;

  const out = new Uint8Array(8 + headerBytes + bufferBytes);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerBytes, true); // low word; the high word stays 0 (headers are < 4 GB)
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerBytes); // space padding, still valid JSON
  const start = 8 + headerBytes;
  for (const { name, t } of layout) out.set(t.data, start + offsets.get(name)![0]);
  return out;
}

/**
 * Parses and validates a safetensors file. Tensor data are views into `bytes` (no copy).
 * Every problem throws a SafetensorsError naming `name` (the file) and the tensor.
 * @example
 *   const { tensors, metadata } = decodeSafetensors(await readFile(path), 'ckpt-000100.safetensors');
 *   const wte = toFloat32(tensors.get('wte')!);
 */
export function decodeSafetensors(bytes: Uint8Array, name = 'safetensors'): { tensors: Map<string, StTensor>; metadata: Record<string, string> } {
  if (!(bytes instanceof Uint8Array)) throw new SafetensorsError(`${name}: expected a Uint8Array of file bytes`);
  if (bytes.length < 8) throw new SafetensorsError(`${name}: file is ${bytes.length} bytes, too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = view.getUint32(0, true);
  const hi = view.getUint32(4, true);
  const headerLen = hi * 2 ** 32 + lo; // exact only below 2^53, but anything that large is rejected below
  if (headerLen > MAX_HEADER_BYTES) {
    throw new SafetensorsError(`${name}: header length ${headerLen} exceeds the ${MAX_HEADER_BYTES}-byte limit (not a safetensors file?)`);
  }
  if (8 + headerLen > bytes.length) {
    throw new SafetensorsError(`${name}: header length ${headerLen} runs past the end of the file (${bytes.length} bytes; truncated?)`);
  }
  if (headerLen < 2) throw new SafetensorsError(`${name}: header length ${headerLen} is too short for a JSON object`);

  let header: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen));
    header = JSON.parse(text);
  } catch (err) {
    throw new SafetensorsError(`${name}: header is not valid UTF-8 JSON (${(err as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw new SafetensorsError(`${name}: header must be a JSON object`);
  }

  const metadata: Record<string, string> = {};
  const rawMeta = (header as Record<string, unknown>)[METADATA_KEY];
  if (rawMeta !== undefined && rawMeta !== null) {
    if (typeof rawMeta !== 'object' || Array.isArray(rawMeta)) throw new SafetensorsError(`${name}: "${METADATA_KEY}" must be an object of strings`);
    for (const [k, v] of Object.entries(rawMeta)) {
      if (typeof v !== 'string') throw new SafetensorsError(`${name}: metadata ${JSON.stringify(k)} must be a string, got ${JSON.stringify(v)}`);
      metadata[k] = v;
    }
  }

  const bufferStart = 8 + headerLen;
  const bufferLen = bytes.length - bufferStart;
  const tensors = new Map<string, StTensor>();
  const spans: { tensor: string; begin: number; end: number }[] = [];
  for (const [tensor, info] of Object.entries(header)) {
    if (tensor === METADATA_KEY) continue;
    const at = where(name, tensor);
    if (info === null || typeof info !== 'object' || Array.isArray(info)) throw new SafetensorsError(`${at}entry must be an object`);
    const { dtype, shape, data_offsets: off } = info as Record<string, unknown>;
    if (!isDtype(dtype)) throw new SafetensorsError(`${at}unknown dtype ${JSON.stringify(dtype)}`);
    if (!isShape(shape)) throw new SafetensorsError(`${at}shape ${JSON.stringify(shape)} must be an array of non-negative integers`);
    if (!Array.isArray(off) || off.length !== 2 || !off.every((o) => Number.isSafeInteger(o) && o >= 0) || off[0] > off[1]) {
      throw new SafetensorsError(`${at}data_offsets ${JSON.stringify(off)} must be [begin, end] integers with 0 <= begin <= end`);
    }
    const [begin, end] = off as [number, number];
    if (end > bufferLen) {
      throw new SafetensorsError(`${at}data_offsets [${begin}, ${end}] run past the end of the ${bufferLen}-byte data buffer (truncated?)`);
    }
    const need = byteLength(shape, DTYPE_SIZES[dtype]);
    if (need !== end - begin) {
      throw new SafetensorsError(
        `${at}data_offsets [${begin}, ${end}] hold ${end - begin} bytes but shape ${JSON.stringify(shape)} of ${dtype} needs ${need === Infinity ? 'over 2^53' : need}`,
      );
    }
    spans.push({ tensor, begin, end });
    tensors.set(tensor, { dtype, shape: [...shape], data: bytes.subarray(bufferStart + begin, bufferStart + end) });
  }

  // The buffer must be tiled exactly: no overlap (aliasing) and no gap (hidden bytes).
  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let prev: string | undefined;
  for (const s of spans) {
    if (s.begin < covered) {
      throw new SafetensorsError(
        `${where(name, s.tensor)}data_offsets [${s.begin}, ${s.end}] overlap tensor ${JSON.stringify(prev)} (which ends at ${covered})`,
      );
    }
    if (s.begin > covered) {
      throw new SafetensorsError(`${name}: data buffer bytes [${covered}, ${s.begin}) belong to no tensor (before tensor ${JSON.stringify(s.tensor)})`);
    }
    covered = s.end;
    prev = s.tensor;
  }
  if (covered !== bufferLen) {
    throw new SafetensorsError(`${name}: data buffer is ${bufferLen} bytes but tensors cover only ${covered} (trailing bytes)`);
  }
  return { tensors, metadata };
}

function elementCount(shape: number[]): number {
  return shape.reduce((a, d) => a * d, 1);
}

/** Raw bytes of a typed array, as little-endian; a view on little-endian hosts (all mainstream ones). */
function littleEndianBytes(values: Float32Array | Int32Array): Uint8Array {
  if (HOST_IS_LITTLE_ENDIAN) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = new Uint8Array(values.byteLength);
  const dv = new DataView(out.buffer);
  values.forEach((v, i) => (values instanceof Float32Array ? dv.setFloat32(i * 4, v, true) : dv.setInt32(i * 4, v, true)));
  return out;
}

function checkCount(kind: string, shape: number[], length: number): void {
  if (!isShape(shape)) throw new SafetensorsError(`${kind}: shape ${JSON.stringify(shape)} must be non-negative integers`);
  if (elementCount(shape) !== length) {
    throw new SafetensorsError(`${kind}: shape ${JSON.stringify(shape)} holds ${elementCount(shape)} values, got ${length}`);
  }
}

/**
 * An F32 tensor over `values` (shares memory with it on little-endian hosts: don't mutate before encoding).
 * @example f32Tensor([2, 3], new Float32Array(6))
 */
export function f32Tensor(shape: number[], values: Float32Array): StTensor {
  checkCount('f32Tensor', shape, values.length);
  return { dtype: 'F32', shape: [...shape], data: littleEndianBytes(values) };
}

/**
 * An I32 tensor over `values` (shares memory with it on little-endian hosts).
 * @example i32Tensor([4], new Int32Array([1, 2, 3, 4]))
 */
export function i32Tensor(shape: number[], values: Int32Array): StTensor {
  checkCount('i32Tensor', shape, values.length);
  return { dtype: 'I32', shape: [...shape], data: littleEndianBytes(values) };
}

/** IEEE half (binary16) bits -> number. */
function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // zero and subnormals
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * Values of a floating-point tensor as float32: F32 as is, F16/BF16 widened, F64 rounded.
 * F32 on a little-endian host with an aligned offset returns a view of `t.data` (no copy).
 * @example toFloat32(decodeSafetensors(bytes).tensors.get('wte')!) // Float32Array
 */
export function toFloat32(t: StTensor): Float32Array {
  const n = t.data.byteLength / DTYPE_SIZES[t.dtype];
  const dv = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  switch (t.dtype) {
    case 'F32': {
      if (HOST_IS_LITTLE_ENDIAN) {
        if (t.data.byteOffset % 4 === 0) return new Float32Array(t.data.buffer, t.data.byteOffset, n);
        return new Float32Array(t.data.slice().buffer); // slice() copies into a fresh, aligned buffer
      }
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getFloat32(i * 4, true);
      return out;
    }
    case 'F64': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getFloat64(i * 8, true);
      return out;
    }
    case 'F16': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = halfToNumber(dv.getUint16(i * 2, true));
      return out;
    }
    case 'BF16': {
      // bfloat16 is the top half of a float32, so widening is a 16-bit shift of the bits.
      const bits = new Uint32Array(n);
      for (let i = 0; i < n; i++) bits[i] = dv.getUint16(i * 2, true) << 16;
      return new Float32Array(bits.buffer);
    }
    default:
      throw new SafetensorsError(`toFloat32: dtype ${t.dtype} is not a floating-point type (use toInt32)`);
  }
}

/**
 * Values of an integer or bool tensor as int32. I64 and U32 values must fit in int32, else it throws.
 * I32 on a little-endian host with an aligned offset returns a view of `t.data` (no copy).
 * @example toInt32(tensors.get('tokens')!) // Int32Array
 */
export function toInt32(t: StTensor): Int32Array {
  const size = DTYPE_SIZES[t.dtype];
  const n = t.data.byteLength / size;
  const dv = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const out = new Int32Array(n);
  const outOfRange = (v: number | bigint, i: number) => new SafetensorsError(`toInt32: ${t.dtype} value ${v} at index ${i} does not fit in int32`);
  switch (t.dtype) {
    case 'I32':
      if (HOST_IS_LITTLE_ENDIAN) {
        if (t.data.byteOffset % 4 === 0) return new Int32Array(t.data.buffer, t.data.byteOffset, n);
        return new Int32Array(t.data.slice().buffer);
      }
      for (let i = 0; i < n; i++) out[i] = dv.getInt32(i * 4, true);
      return out;
    case 'I64':
      for (let i = 0; i < n; i++) {
        const v = dv.getBigInt64(i * 8, true);
        if (v < -2147483648n || v > 2147483647n) throw outOfRange(v, i);
        out[i] = Number(v);
      }
      return out;
    case 'U32':
      for (let i = 0; i < n; i++) {
        const v = dv.getUint32(i * 4, true);
        if (v > 2147483647) throw outOfRange(v, i);
        out[i] = v;
      }
      return out;
    case 'I16':
      for (let i = 0; i < n; i++) out[i] = dv.getInt16(i * 2, true);
      return out;
    case 'U16':
      for (let i = 0; i < n; i++) out[i] = dv.getUint16(i * 2, true);
      return out;
    case 'I8':
      for (let i = 0; i < n; i++) out[i] = dv.getInt8(i);
      return out;
    case 'U8':
    case 'BOOL':
      for (let i = 0; i < n; i++) out[i] = t.data[i];
      return out;
    default:
      throw new SafetensorsError(`toInt32: dtype ${t.dtype} is not an integer type (use toFloat32)`);
  }
}
