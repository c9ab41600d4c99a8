// safetensors.ts against an independent numpy implementation of the format
// (fixtures/make_safetensors_fixtures.py): read its file, have it read ours, reject bad files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DTYPE_SIZES,
  SafetensorsError,
  decodeSafetensors,
  encodeSafetensors,
  f32Tensor,
  i32Tensor,
  toFloat32,
  toInt32,
  type StDtype,
  type StTensor,
} from './safetensors';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const SCRIPT = join(FIXTURES, 'make_safetensors_fixtures.py');

/** JSON from the Python side spells non-finite floats as strings. */
function fromJson(v: number | string | boolean): number {
  if (v === 'nan') return NaN;
  if (v === 'inf') return Infinity;
  if (v === '-inf') return -Infinity;
  return Number(v);
}

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

test('decodes the file written by the numpy implementation', () => {
  const bytes = new Uint8Array(readFileSync(join(FIXTURES, 'basic.safetensors')));
  const expected = JSON.parse(readFileSync(join(FIXTURES, 'basic.expected.json'), 'utf8'));
  const { tensors, metadata } = decodeSafetensors(bytes, 'basic.safetensors');
  assert.deepEqual(metadata, expected.metadata);
  assert.deepEqual([...tensors.keys()], expected.order);
  for (const [name, want] of Object.entries<{ dtype: StDtype; shape: number[]; values: number[] }>(expected.tensors)) {
    const t = tensors.get(name)!;
    assert.equal(t.dtype, want.dtype, name);
    assert.deepEqual(t.shape, want.shape, name);
    if (name === 'big') {
      // I64 beyond int32: toInt32 must refuse; read the raw bytes to check them.
      assert.throws(() => toInt32(t), /toInt32: I64 value -1099511627777 at index 0 does not fit/);
      const dv = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
      assert.deepEqual(
        [0, 1, 2, 3].map((i) => Number(dv.getBigInt64(i * 8, true))),
        want.values,
      );
    } else if (['F32', 'F16', 'BF16', 'F64'].includes(t.dtype)) {
      assert.deepEqual(
        [...toFloat32(t)],
        want.values.map((v) => Math.fround(v)),
        name,
      );
    } else {
      assert.deepEqual([...toInt32(t)], want.values, name);
    }
  }
  // The fixture puts a 5-byte tensor first, so 'weight' is misaligned: toFloat32 must copy.
  assert.notEqual(tensors.get('weight')!.data.byteOffset % 4, 0);
});

test('round trip: every dtype encoded here is read back by numpy', () => {
  const f16Bits = new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0x8000, 0x3555]);
  const f16Want = [1, -2, 65504, 2 ** -24, Infinity, -0, 0.333251953125];
  const bf16Bits = new Uint16Array([0x3f80, 0xc049, 0xff80]);
  const bf16Want = [1, -3.140625, -Infinity];
  const tensors = new Map<string, StTensor>([
    ['u8', { dtype: 'U8', shape: [3], data: new Uint8Array([0, 7, 255]) }],
    ['weight', f32Tensor([2, 2], new Float32Array([0.1, -0, NaN, Infinity]))],
    ['10', i32Tensor([1, 3], new Int32Array([-2147483648, 0, 2147483647]))],
    ['half', { dtype: 'F16', shape: [7], data: bytesOf(f16Bits) }],
    ['bf', { dtype: 'BF16', shape: [3], data: bytesOf(bf16Bits) }],
    ['f64', { dtype: 'F64', shape: [2], data: bytesOf(new Float64Array([0.1, -1e300])) }],
    ['i64', { dtype: 'I64', shape: [3], data: bytesOf(new BigInt64Array([-(2n ** 40n), 5n, 2n ** 53n - 1n])) }],
    ['i8', { dtype: 'I8', shape: [2], data: bytesOf(new Int8Array([-128, 127])) }],
    ['u16', { dtype: 'U16', shape: [2], data: bytesOf(new Uint16Array([0, 65535])) }],
    ['i16', { dtype: 'I16', shape: [2], data: bytesOf(new Int16Array([-32768, 32767])) }],
    ['u32', { dtype: 'U32', shape: [2], data: bytesOf(new Uint32Array([0, 4294967295])) }],
    ['mask', { dtype: 'BOOL', shape: [3], data: new Uint8Array([1, 0, 1]) }],
    ['scalar', f32Tensor([], new Float32Array([2.5]))],
    ['empty', f32Tensor([0, 4], new Float32Array(0))],
  ]);
  const metadata = { step: '100', note: 'ünïcode ✓', json: '{"a": [1, 2]}' };
  const bytes = encodeSafetensors(tensors, metadata);

  const dir = mkdtempSync(join(tmpdir(), 'st-roundtrip-'));
  try {
    const file = join(dir, 'ours.safetensors');
    writeFileSync(file, bytes);
    const run = spawnSync('/usr/bin/python3', [SCRIPT, '--check', file], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const py = JSON.parse(run.stdout);
    assert.equal(py.header_len % 8, 0, 'header padded so the buffer starts 8-aligned');
    assert.deepEqual(py.metadata, metadata);
    assert.deepEqual(py.order, [...tensors.keys()], 'header keeps insertion order, even for "10"');
    const numbers: Record<string, number[]> = {
      u8: [0, 7, 255],
      weight: [Math.fround(0.1), -0, NaN, Infinity],
      10: [-2147483648, 0, 2147483647],
      half: f16Want,
      bf: bf16Want,
      f64: [0.1, -1e300],
      i64: [-(2 ** 40), 5, 2 ** 53 - 1],
      i8: [-128, 127],
      u16: [0, 65535],
      i16: [-32768, 32767],
      u32: [0, 4294967295],
      mask: [1, 0, 1],
      scalar: [2.5],
      empty: [],
    };
    for (const [name, t] of tensors) {
      const got = py.tensors[name];
      assert.equal(got.dtype, t.dtype, name);
      assert.deepEqual(got.shape, t.shape, name);
      assert.deepEqual(got.values.map(fromJson), numbers[name], name);
      assert.equal(got.offsets[0] % DTYPE_SIZES[t.dtype], 0, `${name} aligned to its item size`);
    }

    // And back through our decoder: same bytes, same values.
    const back = decodeSafetensors(new Uint8Array(readFileSync(file)), 'ours.safetensors');
    assert.deepEqual(back.metadata, metadata);
    for (const [name, t] of tensors) assert.deepEqual(back.tensors.get(name)!.data, t.data, name);
    assert.deepEqual([...toFloat32(back.tensors.get('half')!)], f16Want);
    assert.deepEqual([...toFloat32(back.tensors.get('bf')!)], bf16Want);
    assert.deepEqual([...toFloat32(back.tensors.get('f64')!)], [Math.fround(0.1), -Infinity]);
    assert.deepEqual([...toInt32(back.tensors.get('u16')!)], [0, 65535]);
    assert.deepEqual([...toInt32(back.tensors.get('i8')!)], [-128, 127]);
    assert.throws(() => toInt32(back.tensors.get('u32')!), /U32 value 4294967295 at index 1/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('aligned F32 and I32 decode to views, not copies', () => {
  const bytes = encodeSafetensors({ a: f32Tensor([2], new Float32Array([1, 2])), b: i32Tensor([1], new Int32Array([3])) });
  const { tensors } = decodeSafetensors(bytes);
  const a = toFloat32(tensors.get('a')!);
  assert.equal(a.buffer, bytes.buffer);
  assert.equal(toInt32(tensors.get('b')!).buffer, bytes.buffer);
});

test('encode rejects invalid tensors and metadata', () => {
  const ok = f32Tensor([2], new Float32Array(2));
  assert.throws(
    () => encodeSafetensors({ w: { dtype: 'F32', shape: [3], data: new Uint8Array(8) } }),
    /tensor "w": has 8 bytes but shape \[3\] of F32 needs 12/,
  );
  assert.throws(() => encodeSafetensors({ w: { dtype: 'F8' as StDtype, shape: [1], data: new Uint8Array(1) } }), /unknown dtype "F8"/);
  assert.throws(() => encodeSafetensors({ w: { dtype: 'F32', shape: [-1], data: new Uint8Array(0) } }), /non-negative integers/);
  assert.throws(() => encodeSafetensors({ __metadata__: ok }), /reserved/);
  assert.throws(() => encodeSafetensors({ w: ok }, { step: 5 as unknown as string }), /metadata "step" must be a string/);
  assert.throws(() => f32Tensor([2, 2], new Float32Array(3)), /holds 4 values, got 3/);
  assert.throws(() => toFloat32(i32Tensor([1], new Int32Array(1))), /I32 is not a floating-point type/);
  assert.throws(() => toInt32(ok), /F32 is not an integer type/);
});

/** A file with this exact header text and `bufferBytes` zero bytes of data. */
function rawFile(header: string | object, bufferBytes: number, headerLen?: number): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + bufferBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLen ?? json.length), true);
  out.set(json, 8);
  return out;
}

test('decode rejects malformed files with clear errors', () => {
  const good = encodeSafetensors({ w: f32Tensor([2], new Float32Array([1, 2])) });
  const f32 = (shape: unknown, offsets: unknown) => ({ dtype: 'F32', shape, data_offsets: offsets });
  const badUtf8 = rawFile('{"?": 1}', 0);
  badUtf8[10] = 0xff; // the '?': a lone 0xff byte is never valid UTF-8
  const cases: [string, Uint8Array, RegExp][] = [
    ['too short', good.subarray(0, 5), /bad\.st: file is 5 bytes, too short/],
    ['truncated buffer', good.subarray(0, good.length - 3), /tensor "w": data_offsets \[0, 8\] run past the end of the 5-byte data buffer/],
    ['truncated header', good.subarray(0, 12), /header length \d+ runs past the end of the file \(12 bytes/],
    ['header length lies (huge)', rawFile({}, 0, 1e9), /header length 1000000000 exceeds the 100000000-byte limit/],
    ['header length lies (u64 high word)', rawFile({}, 0, 2 ** 40), /header length 1099511627776 exceeds/],
    ['header length lies (longer)', rawFile({ w: f32([1], [0, 4]) }, 4, 80), /header length 80 runs past the end/],
    ['header length lies (shorter)', rawFile({ w: f32([1], [0, 4]) }, 4, 10), /not valid UTF-8 JSON/],
    ['invalid JSON', rawFile('{"w": nope}', 0), /bad\.st: header is not valid UTF-8 JSON/],
    ['invalid UTF-8', badUtf8, /not valid UTF-8/],
    ['array header', rawFile('[1, 2]', 0), /header must be a JSON object/],
    ['entry not an object', rawFile({ w: 3 }, 0), /tensor "w": entry must be an object/],
    ['unknown dtype', rawFile({ w: { dtype: 'F8', shape: [1], data_offsets: [0, 1] } }, 1), /bad\.st: tensor "w": unknown dtype "F8"/],
    ['missing dtype', rawFile({ w: { shape: [1], data_offsets: [0, 4] } }, 4), /tensor "w": unknown dtype undefined/],
    ['negative dim', rawFile({ w: f32([-1, 2], [0, 8]) }, 8), /tensor "w": shape \[-1,2\] must be an array of non-negative integers/],
    ['fractional dim', rawFile({ w: f32([1.5], [0, 4]) }, 4), /tensor "w": shape \[1.5\]/],
    ['shape not an array', rawFile({ w: f32(4, [0, 16]) }, 16), /tensor "w": shape 4/],
    ['wrong size for shape', rawFile({ w: f32([3], [0, 8]) }, 8), /tensor "w": data_offsets \[0, 8\] hold 8 bytes but shape \[3\] of F32 needs 12/],
    ['absurd shape', rawFile({ w: f32([1e15, 1e15], [0, 8]) }, 8), /hold 8 bytes but shape \[1000000000000000,1000000000000000\] of F32 needs over 2\^53/],
    ['offsets out of range', rawFile({ w: f32([2], [4, 12]) }, 8), /tensor "w": data_offsets \[4, 12\] run past the end of the 8-byte data buffer/],
    ['offsets reversed', rawFile({ w: f32([0], [8, 4]) }, 8), /tensor "w": data_offsets \[8,4\] must be \[begin, end\]/],
    ['offsets negative', rawFile({ w: f32([1], [-4, 0]) }, 8), /data_offsets \[-4,0\] must be/],
    ['offsets not a pair', rawFile({ w: f32([1], [0, 4, 8]) }, 8), /data_offsets \[0,4,8\] must be/],
    ['offsets overlap', rawFile({ a: f32([2], [0, 8]), b: f32([2], [4, 12]) }, 12), /tensor "b": data_offsets \[4, 12\] overlap tensor "a"/],
    ['offsets leave a gap', rawFile({ a: f32([1], [0, 4]), b: f32([1], [8, 12]) }, 12), /data buffer bytes \[4, 8\) belong to no tensor/],
    ['trailing bytes', rawFile({ a: f32([1], [0, 4]) }, 12), /data buffer is 12 bytes but tensors cover only 4/],
    ['non-string metadata', rawFile({ __metadata__: { step: 100 } }, 0), /bad\.st: metadata "step" must be a string, got 100/],
    ['metadata not an object', rawFile({ __metadata__: ['a'] }, 0), /"__metadata__" must be an object of strings/],
  ];
  for (const [what, bytes, message] of cases) {
    assert.throws(
      () => decodeSafetensors(bytes, 'bad.st'),
      (err: unknown) => {
        assert.ok(err instanceof SafetensorsError, `${what}: expected a SafetensorsError, got ${err}`);
        assert.match(err.message, message, what);
        return true;
      },
      what,
    );
  }
  // Sanity: the helper builds valid files, so the failures above come from the defect alone.
  assert.deepEqual([...decodeSafetensors(rawFile({ a: f32([1], [0, 4]), b: f32([0], [4, 4]) }, 4)).tensors.keys()], ['a', 'b']);
});
