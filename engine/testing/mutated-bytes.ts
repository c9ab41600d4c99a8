// fast-check arbitrary for fuzzing file decoders: a valid file with a few bytes set, cut or inserted.
import fc from 'fast-check';

type Edit = [at: number, value: number, kind: 'set' | 'cut' | 'insert'];

function applyEdits(valid: Uint8Array, edits: Edit[]): Uint8Array {
  let bytes = Array.from(valid);
  for (const [at, value, kind] of edits) {
    const i = Math.min(at, bytes.length);
    if (kind === 'set' && i < bytes.length) bytes[i] = value;
    else if (kind === 'cut') bytes = bytes.slice(0, i);
    else bytes.splice(i, 0, value);
  }
  return new Uint8Array(bytes);
}

/**
 * Copies of `valid` with 1..maxEdits random byte edits.
 * @example fc.assert(fc.property(mutatedBytes(file, 6), (bytes) => decode(bytes)));
 */
export function mutatedBytes(valid: Uint8Array, maxEdits: number): fc.Arbitrary<Uint8Array> {
  const edit = fc.tuple(
    fc.nat({ max: valid.length + 8 }),
    fc.integer({ min: 0, max: 255 }),
    fc.constantFrom('set' as const, 'cut' as const, 'insert' as const),
  );
  return fc.array(edit, { minLength: 1, maxLength: maxEdits }).map((edits) => applyEdits(valid, edits));
}
