// Malformed .npy files never crash, hang or allocate wildly: every one of thousands of mutated and
// random headers either parses into a self-consistent header or throws NpyError.
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mutatedBytes } from '../testing/mutated-bytes';
import { memorySource } from './byte-source';
import { encodeNpy, encodeNpyHeader, NpyError, NpyTokenReader, parseNpyHeader } from './npy';

const valid = encodeNpy(new Uint16Array([1, 2, 3, 4, 5, 6, 7, 8]));

function checkParse(bytes: Uint8Array, claimedSize = bytes.length) {
  try {
    const h = parseNpyHeader(bytes, claimedSize, 'fuzz.npy');
    // Accepted: the header must describe data that fits in the file.
    assert.ok(h.dataOffset <= claimedSize);
    assert.ok(h.dataOffset + h.length * h.itemSize <= claimedSize, 'data within the file');
    assert.ok(Number.isSafeInteger(h.length) && h.length >= 0);
  } catch (e) {
    assert.ok(e instanceof NpyError, `expected NpyError, got ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
    assert.ok((e as Error).message.length > 0);
  }
}

test('byte flips, truncations and insertions in a valid file', () => {
  fc.assert(fc.property(mutatedBytes(valid, 6), (bytes) => checkParse(bytes)), { numRuns: 4000, seed: 7 });
});

test('hostile header dictionaries: absurd shapes, dtypes, lengths', () => {
  const descr = fc.oneof(fc.constantFrom('<u2', '>i4', '|u1', '<i8', '<c8', '|O', '<U5', '<f2', 'u2', '', "'", '<u2\\'), fc.string({ maxLength: 6 }));
  const dim = fc.oneof(fc.integer({ min: -5, max: 20 }), fc.constantFrom(2 ** 40, 2 ** 53, 1e30, 1.5), fc.string({ maxLength: 3 }));
  fc.assert(
    fc.property(descr, fc.array(dim, { maxLength: 4 }), fc.constantFrom('False', 'True', '0', "'no'"), fc.nat({ max: 64 }), (d, shape, fortran, extra) => {
      const dict = `{'descr': '${d}', 'fortran_order': ${fortran}, 'shape': (${shape.map(String).join(', ')}${shape.length === 1 ? ',' : ''}), }`;
      const header = new TextEncoder().encode(dict.padEnd(dict.length + ((16 - ((10 + dict.length + 1) % 16)) % 16)) + '\n');
      const bytes = new Uint8Array(10 + header.length + extra);
      bytes.set([0x93, ...new TextEncoder().encode('NUMPY'), 1, 0, header.length & 255, header.length >> 8]);
      bytes.set(header, 10);
      checkParse(bytes);
      checkParse(bytes, 2 ** 45); // a source that claims to be huge must not make us allocate
    }),
    { numRuns: 3000, seed: 8 },
  );
});

test('random bytes and header lengths past the end of the file', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => checkParse(bytes)),
    { numRuns: 2000, seed: 9 },
  );
  const header = encodeNpyHeader('uint16', [4]);
  const lying = new Uint8Array(header);
  lying[8] = 0xff; // v1 header length 0xffXX: far past the end
  lying[9] = 0xff;
  assert.throws(() => parseNpyHeader(lying, lying.length, 'lie.npy'), NpyError);
});

test('the token reader rejects bad windows with errors, not crashes', async () => {
  const reader = await NpyTokenReader.open(memorySource(valid, 'ok.npy'));
  for (const [start, count] of [[-1, 2], [0, 9], [7, 2], [1.5, 1], [Number.MAX_SAFE_INTEGER, 1]] as const) {
    await assert.rejects(reader.read(start, count));
  }
  assert.deepEqual(Array.from(await reader.read(6, 2)), [7, 8]);
});
