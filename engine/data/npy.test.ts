// Tests for npy.ts: files written by numpy itself (fixtures/make_npy_fixtures.py), numpy loading
// what encodeNpy writes, malformed headers, and windowed reads of a 50 MB file on disk.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync, closeSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { blobSource, memorySource, type ByteSource } from './byte-source';
import {
  decodeNpy, encodeNpy, encodeNpyHeader, NpyError, NpyTokenReader, parseNpyHeader, readNpyHeader,
  type NpyTypedArray,
} from './npy';
import { openFileSource } from '../node/file-source';
import { Rng } from '../random';

const FIXTURES = fileURLToPath(new URL('./fixtures', import.meta.url));

interface Expected {
  file: string; descr: string; shape: number[]; fortranOrder: boolean; dataOffset: number;
  itemSize: number; littleEndian: boolean; length: number; version: number; size: number;
  values: (number | boolean)[];
}
const expected: Record<string, Expected> = JSON.parse(readFileSync(join(FIXTURES, 'npy_expected.json'), 'utf8'));
const fixture = (key: string) => new Uint8Array(readFileSync(join(FIXTURES, expected[key].file)));
const asNumbers = (data: ArrayLike<number | bigint | boolean>) => Array.from(data, Number);

/** Integer 1-D fixtures whose ids all fit in int32: the token reader must accept these. */
const TOKEN_FIXTURES = ['u1', 'i1', 'u2', 'i2', 'i4', 'u4', 'i8', 'u8', 'u2_v2', 'u2_v3', 'i8_v2', 'u2_be', 'i4_be', 'i8_be', 'u2_empty'];

/** Wraps a ByteSource and records what was read, to prove reads stay windowed. */
function counting(source: ByteSource) {
  const stats = { calls: 0, bytes: 0, largest: 0 };
  const wrapped: ByteSource = {
    size: source.size,
    name: source.name,
    async read(offset, length) {
      stats.calls++;
      stats.bytes += length;
      stats.largest = Math.max(stats.largest, length);
      return source.read(offset, length);
    },
  };
  return { source: wrapped, stats };
}

/** An .npy v1/v2 file with a hand-written header text (padded like numpy) and `data` after it. */
function npyWith(text: string, data = new Uint8Array(0), version = 1): Uint8Array {
  const textStart = version === 1 ? 10 : 12;
  const padded = text + ' '.repeat(63 - ((textStart + text.length) % 64)) + '\n';
  const out = new Uint8Array(textStart + padded.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, padded.length, true);
  else view.setUint32(8, padded.length, true);
  out.set(new TextEncoder().encode(padded), textStart); // ASCII here, so one byte per char
  out.set(data, textStart + padded.length);
  return out;
}

function throwsNpy(fn: () => unknown, message: RegExp) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof NpyError, `expected NpyError, got ${err}`);
    assert.match(err.message, message);
    return true;
  });
}

async function rejectsNpy(promise: Promise<unknown>, message: RegExp) {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof NpyError, `expected NpyError, got ${err}`);
    assert.match(err.message, message);
    return true;
  });
}

test('headers of every numpy fixture parse the way numpy reads them', () => {
  for (const [key, e] of Object.entries(expected)) {
    const bytes = fixture(key);
    assert.equal(bytes.length, e.size, key);
    if (e.fortranOrder) {
      throwsNpy(() => parseNpyHeader(bytes, bytes.length, e.file), /i4_fortran\.npy: Fortran-order arrays are not supported.*np\.ascontiguousarray/);
      continue;
    }
    const h = parseNpyHeader(bytes, bytes.length, e.file);
    assert.deepEqual(
      { descr: h.descr, shape: h.shape, dataOffset: h.dataOffset, itemSize: h.itemSize, littleEndian: h.littleEndian, length: h.length, version: h.version },
      { descr: e.descr, shape: e.shape, dataOffset: e.dataOffset, itemSize: e.itemSize, littleEndian: e.littleEndian, length: e.length, version: e.version },
      key,
    );
  }
  // a prefix holding just the header is enough; one byte less is not
  const u2 = fixture('u2');
  assert.deepEqual(parseNpyHeader(u2.subarray(0, 128), u2.length).shape, [5]);
  throwsNpy(() => parseNpyHeader(u2.subarray(0, 127), u2.length), /need the first 128 bytes/);
});

test('decodeNpy matches numpy values for every dtype, byte order and version', () => {
  for (const [key, e] of Object.entries(expected)) {
    if (e.fortranOrder) continue;
    const { data } = decodeNpy(fixture(key), e.file);
    assert.deepEqual(asNumbers(data), asNumbers(e.values), key);
  }
});

test('token reader returns every window of the integer fixtures, and their max id', async () => {
  for (const key of TOKEN_FIXTURES) {
    const e = expected[key];
    const ids = await NpyTokenReader.open(memorySource(fixture(key), e.file));
    assert.equal(ids.length, e.length, key);
    for (let start = 0; start <= e.length; start++) {
      for (let count = 0; start + count <= e.length; count++) {
        const window = await ids.read(start, count);
        assert.ok(window instanceof Int32Array);
        assert.deepEqual(Array.from(window), e.values.slice(start, start + count), `${key} [${start}, +${count})`);
      }
    }
    assert.equal(await ids.maxId(), e.length ? Math.max(...(e.values as number[])) : -1, key);
  }
});

test('Blob, File and pooled Node Buffer sources feed the token reader like memory does', async () => {
  const bytes = fixture('u2_be');
  const file = new File([bytes], 'ids_be.npy');
  const ids = await NpyTokenReader.open(blobSource(file));
  assert.deepEqual(Array.from(await ids.read(1, 3)), expected.u2_be.values.slice(1, 4));
  assert.equal(bytes.length, 138);
  await assert.rejects(blobSource(file).read(136, 3), /ids_be\.npy: read of 3 bytes at offset 136 runs past the end \(size 138 bytes\)/);
  assert.equal(blobSource(new Blob([bytes]), 'x.npy').name, 'x.npy');
  // a Node Buffer from the shared pool: its slice() is a view, which must not leak into results
  const pooled = await NpyTokenReader.open(memorySource(Buffer.from(fixture('i4_be')), 'pooled.npy'));
  assert.deepEqual(Array.from(await pooled.read(1, 2)), expected.i4_be.values.slice(1, 3));
  await assert.rejects(memorySource(bytes, 'm.npy').read(-1, 2), /m\.npy: invalid read/);
});

test('token reader names the position of ids outside int32', async () => {
  const cases: [string, RegExp][] = [
    ['u4_big', /u4_big\.npy: token id at index 3 is 2147483648 \(dtype '<u4'\), which does not fit in int32/],
    ['i8_big', /i8_big\.npy: token id at index 2 is 4294967296 \(dtype '<i8'\)/],
    ['i8_neg_big', /i8_neg_big\.npy: token id at index 1 is -2147483649 \(dtype '<i8'\)/],
  ];
  for (const [key, message] of cases) {
    const ids = await NpyTokenReader.open(memorySource(fixture(key), expected[key].file));
    await rejectsNpy(ids.maxId(), message);
    await rejectsNpy(ids.read(0, ids.length), message);
  }
  // windows that avoid the bad id are fine
  const ids = await NpyTokenReader.open(memorySource(fixture('u4_big'), 'u4_big.npy'));
  assert.deepEqual(Array.from(await ids.read(0, 3)), [1, 2, 3]);
  await rejectsNpy(ids.read(2, 2), /index 3 is 2147483648/);
});

test('token reader wants a 1-D integer array and in-range windows', async () => {
  const open = (key: string) => NpyTokenReader.open(memorySource(fixture(key), expected[key].file));
  await rejectsNpy(open('i4_2d'), /i4_2d\.npy: token ids must be a 1-D array, got shape \(2, 3\)/);
  await rejectsNpy(open('i4_scalar'), /must be a 1-D array, got shape \(\)/);
  await rejectsNpy(open('f4'), /f4\.npy: token ids must be integers, got dtype '<f4'/);
  await rejectsNpy(open('b1'), /must be integers, got dtype '\|b1'/);
  await rejectsNpy(open('i4_fortran'), /Fortran-order/);
  const ids = await open('u2');
  await assert.rejects(ids.read(-1, 2), RangeError);
  await assert.rejects(ids.read(3, 3), /u2\.npy: cannot read tokens \[3, 6\) of 5/);
  await assert.rejects(ids.read(0.5, 1), RangeError);
});

test('encodeNpy writes the same bytes as np.save', () => {
  const arrays: [string, NpyTypedArray, number[]?][] = [
    ['u1', new Uint8Array(expected.u1.values as number[])],
    ['i1', new Int8Array(expected.i1.values as number[])],
    ['u2', new Uint16Array(expected.u2.values as number[])],
    ['i2', new Int16Array(expected.i2.values as number[])],
    ['i4', new Int32Array(expected.i4.values as number[])],
    ['u4', new Uint32Array(expected.u4.values as number[])],
    ['i8', BigInt64Array.from(expected.i8.values as number[], BigInt)],
    ['u8', BigUint64Array.from(expected.u8.values as number[], BigInt)],
    ['f4', new Float32Array(expected.f4.values as number[])],
    ['f8', new Float64Array(expected.f8.values as number[])],
    ['u2_empty', new Uint16Array(0)],
    ['i4_scalar', new Int32Array([42]), []],
    ['i4_2d', new Int32Array([0, 1, 2, 3, 4, 5]), [2, 3]],
  ];
  for (const [key, data, shape] of arrays) {
    assert.deepEqual(encodeNpy(data, shape), fixture(key), key);
  }
  assert.throws(() => encodeNpy(new Int32Array(5), [2, 3]), /shape \(2, 3\) holds 6 elements, data has 5/);
});

test('numpy loads what encodeNpy writes (one python call)', () => {
  const rng = new Rng(7);
  const tokens = Uint16Array.from({ length: 5000 }, () => rng.index(65536));
  const arrays: Record<string, [NpyTypedArray, number[]?]> = {
    tokens_u2: [tokens],
    ids_i4: [Int32Array.from([-2147483648, -1, 0, 50256, 2147483647])],
    ids_u4: [Uint32Array.from([0, 4294967295, 100277])],
    ids_i8: [BigInt64Array.from([-(2n ** 63n), -1n, 0n, 2n ** 40n + 3n])],
    grid_u1: [Uint8Array.from([1, 2, 3, 4, 5, 6]), [3, 2]],
    cube_f4: [Float32Array.from({ length: 24 }, (_, i) => i / 7), [2, 3, 4]],
    scalar_i4: [Int32Array.from([-9]), []],
  };
  const dir = mkdtempSync(join(tmpdir(), 'npy-encode-'));
  try {
    for (const [name, [data, shape]] of Object.entries(arrays)) writeFileSync(join(dir, name + '.npy'), encodeNpy(data, shape));
    const script = [
      'import json, os, sys, numpy as np',
      'out = {}',
      'for f in sorted(os.listdir(sys.argv[1])):',
      '    a = np.load(os.path.join(sys.argv[1], f), allow_pickle=False)',
      '    out[f[:-4]] = {"descr": a.dtype.str, "shape": list(a.shape), "values": [str(v) for v in a.ravel().tolist()]}',
      'print(json.dumps(out))',
    ].join('\n');
    const py = spawnSync('/usr/bin/python3', ['-c', script, dir], { encoding: 'utf8' });
    assert.equal(py.status, 0, py.stderr);
    const loaded = JSON.parse(py.stdout);
    const descr: Record<string, string> = { tokens_u2: '<u2', ids_i4: '<i4', ids_u4: '<u4', ids_i8: '<i8', grid_u1: '|u1', cube_f4: '<f4', scalar_i4: '<i4' };
    for (const [name, [data, shape]] of Object.entries(arrays)) {
      assert.equal(loaded[name].descr, descr[name], name);
      assert.deepEqual(loaded[name].shape, shape ?? [data.length], name);
      // floats: compare as float32 values (python prints the double of the float32)
      const ours = Array.from(data as ArrayLike<number | bigint>, (v) => String(v));
      const theirs = name === 'cube_f4' ? loaded[name].values.map((v: string) => String(Math.fround(Number(v)))) : loaded[name].values;
      assert.deepEqual(theirs, ours, name);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('encodeNpyHeader leaves room for the first dimension to grow, like numpy', () => {
  const small = encodeNpyHeader('uint16', [0]);
  const huge = encodeNpyHeader('uint16', [123456789012345]);
  assert.equal(small.length, 128);
  assert.equal(huge.length, small.length); // so a streaming writer can rewrite it in place
  assert.deepEqual(parseNpyHeader(huge, huge.length + 2 * 123456789012345).shape, [123456789012345]);
  // a header too long for version 1.0's 2-byte length switches to 2.0
  const wide = encodeNpyHeader('int32', Array(25000).fill(1));
  assert.equal(wide[6], 2);
  assert.equal(wide.length % 64, 0);
  const h = parseNpyHeader(wide, wide.length + 4);
  assert.equal(h.version, 2);
  assert.equal(h.shape.length, 25000);
});

test('header dicts are parsed robustly', () => {
  const data = new Uint8Array(12);
  const accepted: [string, number[]][] = [
    ["{'descr': '<u2', 'fortran_order': False, 'shape': (6,), }", [6]],
    ["{'shape': (6,), 'fortran_order': False, 'descr': '<u2'}", [6]], // any order, no trailing comma
    ['{"descr":"<u2","fortran_order":False,"shape":(6,)}', [6]], // double quotes, no spaces
    ["{ 'descr' : u'<u2' ,\n 'fortran_order' : False ,\t'shape' : ( 6 , ) , }", [6]],
    ["{'descr': '<u2', 'fortran_order': False, 'shape': (6), }", [6]], // (6) is the int 6
    ["{'descr': '<u2', 'fortran_order': False, 'shape': 6}", [6]],
    ["{'descr': '<u2', 'fortran_order': False, 'shape': [6]}", [6]],
    ["{'descr': '<u2', 'fortran_order': False, 'shape': (6L,), }", [6]], // Python 2 long
    ["{'descr': '<u2', 'fortran_order': False, 'shape': (2, 3,), }", [2, 3]],
    ["{'descr': '<u2', 'fortran_order': False, 'shape': (), }", []],
    ["{'descr': '<u2', 'fortran_order': True, 'shape': (6,), }", [6]], // 1-D: same bytes either order
    ["{'descr': '<u2', 'fortran_order': True, 'shape': (1, 6), }", [1, 6]],
  ];
  for (const [text, shape] of accepted) {
    const bytes = npyWith(text, data);
    const h = parseNpyHeader(bytes, bytes.length);
    assert.deepEqual([h.shape, h.dtype, h.littleEndian], [shape, 'uint16', true], text);
  }
  const v2 = npyWith("{'descr': '>i4', 'fortran_order': False, 'shape': (3,), }", data, 2);
  assert.deepEqual(asNumbers(decodeNpy(v2).data), [0, 0, 0]);
});

test('malformed and unsupported files give a clear NpyError', async () => {
  const good = fixture('u2');
  const header = (text: string, data = new Uint8Array(16)) => npyWith(text, data);
  const dict = (descr: string, shape: string, fortran = 'False') =>
    `{'descr': ${descr}, 'fortran_order': ${fortran}, 'shape': ${shape}, }`;
  const parse = (bytes: Uint8Array) => () => parseNpyHeader(bytes, bytes.length, 'bad.npy');

  throwsNpy(parse(new TextEncoder().encode('PK\x03\x04 this is a zip')), /bad\.npy: not an \.npy file/);
  throwsNpy(parse(new Uint8Array(0)), /file is truncated: 0 bytes/);
  throwsNpy(parse(good.subarray(0, 5)), /file is truncated: 5 bytes/);
  throwsNpy(parse(good.subarray(0, 60)), /header length field says 118 bytes, which runs past the end of the file \(60 bytes\)/);
  throwsNpy(parse(good.subarray(0, good.length - 1)), /data is truncated: shape \(5,\) of <u2 needs 10 bytes after the header, but the file has only 9/);
  const v4 = good.slice();
  v4[6] = 4;
  throwsNpy(parse(v4), /unsupported \.npy format version 4\.0/);

  for (const descr of ["'<c8'", "'|O'", "'<U5'", "'<f2'", "'<M8[ns]'", "'hello'"]) {
    throwsNpy(parse(header(dict(descr, '(2,)'))), /bad\.npy: unsupported dtype '.*' \(supported kinds: b1, i1/);
  }
  throwsNpy(parse(header(dict("[('a', '<i4'), ('b', '<f4')]", '(2,)'))), /structured dtypes are not supported/);
  throwsNpy(parse(header(dict("'|u4'", '(2,)'))), /has no byte order but 4-byte items/);

  throwsNpy(parse(header(dict("'<u2'", '(-1,)'))), /shape \(-1,\) has a negative dimension -1/);
  throwsNpy(parse(header(dict("'<u2'", '(1.5,)'))), /non-integer dimension 1\.5/);
  throwsNpy(parse(header(dict("'<u2'", "('a',)"))), /non-integer dimension 'a'/);
  throwsNpy(parse(header(dict("'<u2'", "'6'"))), /'shape' must be a tuple of integers/);
  throwsNpy(parse(header(dict("'<u2'", '(1000000000000000000000000000000,)'))), /absurd dimension/);
  throwsNpy(parse(header(dict("'<u2'", '(1099511627776, 1099511627776)'))), /is too large \(more than 2\^53 bytes\)/);
  // plausible shape, tiny file: refused before anything is allocated
  throwsNpy(parse(header(dict("'<i8'", '(1099511627776,)'))), /data is truncated: shape \(1099511627776,\) of <i8 needs 8796093022208 bytes/);
  throwsNpy(parse(header(dict("'<i4'", '(2, 3)', 'True'), new Uint8Array(24))), /Fortran-order arrays are not supported \(shape \(2, 3\)\); save with np\.ascontiguousarray/);
  throwsNpy(parse(header(dict("'<i4'", '(2,)', "'no'"))), /'fortran_order' must be True or False/);

  throwsNpy(parse(header("{'descr': '<u2', 'shape': (2,)}")), /header is missing 'fortran_order'/);
  throwsNpy(parse(header("('<u2', False, (2,))")), /header is not a Python dict/);
  throwsNpy(parse(header("{'descr': '<u2, 'fortran_order': False, 'shape': (2,)}")), /cannot parse header .*expected ',' or '}'/);
  throwsNpy(parse(header("{'descr': '<u2', 'fortran_order': False, 'shape': (2,)} junk")), /unexpected text after the header/);
  throwsNpy(parse(header("{'descr': '<u2', 'fortran_order': False, 'shape': " + '('.repeat(5000))), /nesting too deep/);
  throwsNpy(parse(header("{'descr': '<u2', 'fortran_order': False, 'shape': (2,")), /cannot parse header/);
  throwsNpy(parse(header("{'descr': '<u2', 'fortran_order': Flase, 'shape': (2,)}")), /unexpected "F"/);

  // A corrupt 4-byte header length on a (claimed) 8 GB file: refused after one small read.
  const bogus = good.slice(0, 128);
  bogus[6] = 2;
  new DataView(bogus.buffer).setUint32(8, 0xfffffff0, true);
  const huge: ByteSource = { size: 2 ** 33, name: 'huge.npy', read: (offset, length) => memorySource(bogus).read(offset, Math.min(length, 128 - offset)) };
  const { source, stats } = counting(huge);
  await rejectsNpy(readNpyHeader(source), /huge\.npy: header of 4294967280 bytes is larger than the 1048576-byte limit/);
  assert.ok(stats.largest <= 4096, `read ${stats.largest} bytes`);
});

test('windows of a 50 MB file on disk read only their own bytes', async () => {
  const N = 25 * 2 ** 20; // uint16 tokens -> 50 MiB of data
  const dir = mkdtempSync(join(tmpdir(), 'npy-big-'));
  const path = join(dir, 'train_ids.npy');
  const header = encodeNpyHeader('uint16', [N]);
  // Zero-filled body (ftruncate), with a few marker ids at known positions.
  const markers = new Map<number, number>([[0, 11], [1, 12], [N / 2, 50256], [N - 1, 65535], [12345678, 777]]);
  const fd = openSync(path, 'w');
  writeSync(fd, header, 0, header.length, 0);
  ftruncateSync(fd, header.length + 2 * N);
  for (const [i, id] of markers) writeSync(fd, new Uint8Array(new Uint16Array([id]).buffer), 0, 2, header.length + 2 * i);
  closeSync(fd);

  const file = await openFileSource(path);
  try {
    assert.equal(file.size, header.length + 2 * N);
    await assert.rejects(file.read(file.size - 1, 2), /train_ids\.npy: read of 2 bytes at offset .* runs past the end/);
    const { source, stats } = counting(file);
    const ids = await NpyTokenReader.open(source);
    assert.equal(ids.length, N);

    const rng = new Rng(3);
    const T = 1025;
    const starts = [0, N - T, N / 2 - 500, 12345678 - 3, ...Array.from({ length: 60 }, () => rng.index(N - T + 1))];
    for (const start of starts) {
      const window = await ids.read(start, T);
      for (let j = 0; j < T; j++) assert.equal(window[j], markers.get(start + j) ?? 0, `token ${start + j}`);
    }
    // header read + the windows themselves, far less than the 50 MiB file
    assert.ok(stats.bytes < 4096 + starts.length * T * 2 + 1, `read ${stats.bytes} bytes`);
    assert.ok(stats.bytes < file.size / 100);

    // maxId streams everything, but in bounded chunks
    stats.bytes = stats.largest = 0;
    assert.equal(await ids.maxId(), 65535);
    assert.equal(stats.bytes, 2 * N);
    assert.ok(stats.largest <= 2 * 2 ** 20, `largest read ${stats.largest} bytes`);
  } finally {
    await file.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
