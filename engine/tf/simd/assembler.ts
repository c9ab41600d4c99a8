// A minimal WebAssembly assembler: enough of the binary format (MVP + SIMD128) to write small
// numeric kernels as TypeScript and turn them into a module at run time. The kernels in
// kernels.ts import the tfjs-backend-wasm heap as their memory and work on tensors in place.
// Why not C and a toolchain: the kernels stay readable source in the repository, need no build
// step or checked-in binary, and assemble in well under a millisecond.
// Format reference: https://webassembly.github.io/spec/core/binary/ (and the SIMD proposal's
// opcode table, now part of the spec).

/** Value types. */
export type ValType = 'i32' | 'f32' | 'f64' | 'v128';
const VALTYPE: Record<ValType, number> = { i32: 0x7f, f32: 0x7d, f64: 0x7c, v128: 0x7b };

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const f32Bytes = (x: number) => Array.from(new Uint8Array(new Float32Array([x]).buffer));
const name = (s: string) => {
  const b = [...new TextEncoder().encode(s)];
  return [...uleb(b.length), ...b];
};
const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];

/** One-byte opcodes used by the kernels. */
const OPS = {
  'i32.eqz': 0x45,
  'i32.eq': 0x46,
  'i32.ne': 0x47,
  'i32.lt_s': 0x48,
  'i32.lt_u': 0x49,
  'i32.gt_s': 0x4a,
  'i32.le_s': 0x4c,
  'i32.ge_s': 0x4e,
  'i32.add': 0x6a,
  'i32.sub': 0x6b,
  'i32.mul': 0x6c,
  'i32.and': 0x71,
  'i32.shl': 0x74,
  'i32.shr_s': 0x75,
  'f32.lt': 0x5d,
  'f32.gt': 0x5e,
  'f32.abs': 0x8b,
  'f32.neg': 0x8c,
  'f32.sqrt': 0x91,
  'f32.add': 0x92,
  'f32.sub': 0x93,
  'f32.mul': 0x94,
  'f32.div': 0x95,
  'f32.min': 0x96,
  'f32.max': 0x97,
  'f32.convert_i32_s': 0xb2,
  'f32.reinterpret_i32': 0xbe,
  'f64.add': 0xa0,
  'f64.sqrt': 0x9f,
  'f64.mul': 0xa2,
  'f64.promote_f32': 0xbb,
  'i32.reinterpret_f32': 0xbc,
  select: 0x1b,
  drop: 0x1a,
} as const;

/** SIMD opcodes (0xFD prefix, LEB128 sub-opcode). */
const SIMD = {
  'i32x4.splat': 0x11,
  'f32x4.splat': 0x13,
  'f32x4.eq': 0x41,
  'f32x4.lt': 0x43,
  'f32x4.gt': 0x44,
  'v128.and': 0x4e,
  'v128.or': 0x50,
  'v128.bitselect': 0x52,
  'f32x4.floor': 0x68,
  'f32x4.nearest': 0x6a,
  'i32x4.shl': 0xab,
  'i32x4.add': 0xae,
  'i32x4.sub': 0xb1,
  'f32x4.abs': 0xe0,
  'f32x4.neg': 0xe1,
  'f32x4.sqrt': 0xe3,
  'f32x4.add': 0xe4,
  'f32x4.sub': 0xe5,
  'f32x4.mul': 0xe6,
  'f32x4.div': 0xe7,
  'f32x4.min': 0xe8,
  'f32x4.max': 0xe9,
  'f32x4.pmin': 0xea,
  'f32x4.pmax': 0xeb,
  'i32x4.trunc_sat_f32x4_s': 0xf8,
  'f32x4.convert_i32x4_s': 0xfa,
  'f64x2.promote_low_f32x4': 0x5f,
  'f64x2.add': 0xf0,
  'f64x2.mul': 0xf2,
} as const;

export type Op = keyof typeof OPS | keyof typeof SIMD;

/**
 * Builds one function body. Parameters are locals 0..n-1; local() adds more. Instructions are
 * appended in order (stack machine); every method returns `this` so bodies read like WAT.
 * @example
 *   const f = new FunctionBuilder(['i32', 'i32'], ['i32']); f.get(0).get(1).op('i32.add');
 */
export class FunctionBuilder {
  readonly code: number[] = [];
  private readonly locals: ValType[] = [];

  constructor(
    readonly params: ValType[],
    readonly results: ValType[] = [],
  ) {}

  /** A new local of `type`; returns its index. */
  local(type: ValType): number {
    this.locals.push(type);
    return this.params.length + this.locals.length - 1;
  }

  get(i: number): this {
    return this.emit(0x20, ...uleb(i));
  }
  set(i: number): this {
    return this.emit(0x21, ...uleb(i));
  }
  tee(i: number): this {
    return this.emit(0x22, ...uleb(i));
  }
  i32(c: number): this {
    return this.emit(0x41, ...sleb(c | 0));
  }
  f32(c: number): this {
    return this.emit(0x43, ...f32Bytes(c));
  }
  f64(c: number): this {
    return this.emit(0x44, ...Array.from(new Uint8Array(new Float64Array([c]).buffer)));
  }
  /** A v128 with `c` in all four f32 lanes. */
  f32x4(c: number): this {
    return this.emit(0xfd, ...uleb(0x0c), ...f32Bytes(c), ...f32Bytes(c), ...f32Bytes(c), ...f32Bytes(c));
  }
  op(name: Op): this {
    if (name in OPS) return this.emit(OPS[name as keyof typeof OPS]);
    return this.emit(0xfd, ...uleb(SIMD[name as keyof typeof SIMD]));
  }
  /** Loads from the address on the stack plus `offset` bytes. */
  load(type: ValType, offset = 0): this {
    if (type === 'v128') return this.emit(0xfd, ...uleb(0x00), 0, ...uleb(offset));
    return this.emit(type === 'f32' ? 0x2a : 0x28, 2, ...uleb(offset));
  }
  /** Stores the value on top of the stack at (address below it) + `offset`. */
  store(type: ValType, offset = 0): this {
    if (type === 'v128') return this.emit(0xfd, ...uleb(0x0b), 0, ...uleb(offset));
    return this.emit(type === 'f32' ? 0x38 : 0x36, 2, ...uleb(offset));
  }
  /** i8x16.shuffle of the two v128 on the stack, by f32 lane (0-3: first operand, 4-7: second). */
  shuffle32(lanes: [number, number, number, number]): this {
    return this.emit(0xfd, ...uleb(0x0d), ...lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]));
  }
  /** f32x4.extract_lane `lane`. */
  lane(lane: number): this {
    return this.emit(0xfd, ...uleb(0x1f), lane);
  }
  /** f64x2.extract_lane `lane`. */
  laneF64(lane: number): this {
    return this.emit(0xfd, ...uleb(0x21), lane);
  }
  block(): this {
    return this.emit(0x02, 0x40);
  }
  loop(): this {
    return this.emit(0x03, 0x40);
  }
  if(): this {
    return this.emit(0x04, 0x40);
  }
  else(): this {
    return this.emit(0x05);
  }
  end(): this {
    return this.emit(0x0b);
  }
  br(depth: number): this {
    return this.emit(0x0c, ...uleb(depth));
  }
  brIf(depth: number): this {
    return this.emit(0x0d, ...uleb(depth));
  }

  private emit(...bytes: number[]): this {
    this.code.push(...bytes);
    return this;
  }

  /** The function's entry in the code section. */
  encode(): number[] {
    const groups: number[][] = [];
    for (const t of this.locals) groups.push([...uleb(1), VALTYPE[t]]);
    const body = [...vec(groups), ...this.code, 0x0b];
    return [...uleb(body.length), ...body];
  }
}

/**
 * A module that imports its memory as env.memory (shared when the host's heap is a
 * SharedArrayBuffer, as in threaded tfjs-backend-wasm) and exports the given functions.
 * @example
 *   const bytes = assemble({ add: f }, { shared: false });
 *   const { exports } = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
 */
export function assemble(functions: Record<string, FunctionBuilder>, memory: { shared: boolean }): Uint8Array<ArrayBuffer> {
  const entries = Object.entries(functions);
  const section = (id: number, content: number[]) => [id, ...uleb(content.length), ...content];
  const types = entries.map(([, f]) => [0x60, ...vec(f.params.map((t) => [VALTYPE[t]])), ...vec(f.results.map((t) => [VALTYPE[t]]))]);
  // Shared memories must declare a maximum: 65536 pages (4 GiB) admits any wasm32 heap.
  const limits = memory.shared ? [0x03, ...uleb(1), ...uleb(65536)] : [0x00, ...uleb(1)];
  const bytes = [
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vec(types)),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, ...limits]])),
    ...section(3, vec(entries.map((_, i) => uleb(i)))),
    ...section(7, vec(entries.map(([n], i) => [...name(n), 0x00, ...uleb(i)]))),
    ...section(10, vec(entries.map(([, f]) => f.encode()))),
  ];
  return new Uint8Array(bytes);
}
