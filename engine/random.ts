// Portable PRNG shared by every executor: xoshiro128** seeded with splitmix32.
// Only 32-bit integer operations, so the PyTorch exporter (and anyone else) can reproduce
// the exact same stream; the algorithm is specified in docs/plan-format.md ("Random numbers").
// Reference: Blackman & Vigna, "Scrambled linear pseudorandom number generators" (2018).

/** The full generator state: four 32-bit words. Serialisable, so checkpoints can carry it. */
export type RngState = [number, number, number, number];

const TWO_POW_53 = 9007199254740992;

/** splitmix32 step, used only to expand a seed into the four state words. */
function splitmix32(x: number): [next: number, out: number] {
  const next = (x + 0x9e3779b9) >>> 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return [next, (z ^ (z >>> 16)) >>> 0];
}

const rotl = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0;

/**
 * Seeded random stream.
 * @example
 *   const rng = new Rng(1337);
 *   rng.index(1000); // an integer in [0, 1000)
 */
export class Rng {
  private s: RngState;

  constructor(seed: number | RngState) {
    if (Array.isArray(seed)) {
      this.s = [seed[0] >>> 0, seed[1] >>> 0, seed[2] >>> 0, seed[3] >>> 0];
      return;
    }
    let x = seed >>> 0;
    const s: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [next, out] = splitmix32(x);
      x = next;
      s.push(out);
    }
    this.s = s as RngState;
  }

  /** Next raw 32-bit unsigned integer (xoshiro128**). */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] = (s[2] ^ s[0]) >>> 0;
    s[3] = (s[3] ^ s[1]) >>> 0;
    s[1] = (s[1] ^ s[2]) >>> 0;
    s[0] = (s[0] ^ s[3]) >>> 0;
    s[2] = (s[2] ^ t) >>> 0;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform double in [0, 1) with 53 random bits: (a >>> 5) * 2^26 + (b >>> 6), over 2^53. */
  uniform(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / TWO_POW_53;
  }

  /** Uniform integer in [0, n) as floor(uniform() * n); n up to 2^53. */
  index(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal sample (Box-Muller, cosine branch only, so one sample costs two uniforms). */
  normal(): number {
    const u1 = 1 - this.uniform(); // (0, 1]: log is finite
    const u2 = this.uniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  getState(): RngState {
    return [...this.s] as RngState;
  }

  setState(state: RngState): void {
    this.s = [...state] as RngState;
  }
}

/** Fills a Float32Array with N(0, std^2) samples from `rng`. */
export function normalArray(rng: Rng, size: number, std: number): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = rng.normal() * std;
  return out;
}
