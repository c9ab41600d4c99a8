// The portable PRNG against an independent Python transcription of the reference algorithm.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Rng } from './random';

const fixtures: Record<string, { state: number[]; uint32: number[]; uniform: number[]; index: number[] }> = JSON.parse(
  readFileSync(new URL('./fixtures/random.json', import.meta.url), 'utf8'),
);

for (const [seed, expected] of Object.entries(fixtures)) {
  test(`seed ${seed}: state, raw words, uniforms and indices match the reference`, () => {
    const rng = new Rng(Number(seed));
    assert.deepEqual(rng.getState(), expected.state);
    assert.deepEqual(
      Array.from({ length: 8 }, () => rng.nextUint32()),
      expected.uint32,
    );
    assert.deepEqual(
      Array.from({ length: 4 }, () => rng.uniform()),
      expected.uniform,
    );
    assert.deepEqual(
      [10, 1000, 5380020 - 64, 2 ** 40].map((n) => rng.index(n)),
      expected.index,
    );
  });
}

test('state round-trips: a restored generator continues the same stream', () => {
  const a = new Rng(42);
  for (let i = 0; i < 10; i++) a.nextUint32();
  const b = new Rng(a.getState());
  assert.deepEqual(
    Array.from({ length: 5 }, () => a.uniform()),
    Array.from({ length: 5 }, () => b.uniform()),
  );
});

test('normal() has mean ~0 and variance ~1', () => {
  const rng = new Rng(3);
  const xs = Array.from({ length: 20000 }, () => rng.normal());
  const mean = xs.reduce((a, x) => a + x, 0) / xs.length;
  const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length;
  assert.ok(Math.abs(mean) < 0.03, `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 0.04, `variance ${variance}`);
});
