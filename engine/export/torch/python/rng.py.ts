// rng.py of the PyTorch export: the portable PRNG, mirroring engine/random.ts.
// Verbatim in a raw string (so no backticks or ${ inside); it holds no user values (see ../export.ts).
export const RNG_PY = String.raw`# Portable random numbers shared with Pretrain Studio's engine (engine/random.ts): xoshiro128**
# seeded by splitmix32, with the same uniform(), index() and normal(). Same seed, same stream, so
# this script draws the same batch windows in the same order as the engine. The algorithm is
# specified in the studio's docs/plan-format.md ("Random numbers").
# Reference: Blackman & Vigna, "Scrambled linear pseudorandom number generators" (2018).
import math

_MASK = 0xFFFFFFFF
_TWO_POW_53 = 9007199254740992.0


def _splitmix32(x):
    """One splitmix32 step: (next state, output). Used only to expand a seed into four words."""
    nxt = (x + 0x9E3779B9) & _MASK
    z = nxt
    z = ((z ^ (z >> 16)) * 0x85EBCA6B) & _MASK
    z = ((z ^ (z >> 13)) * 0xC2B2AE35) & _MASK
    return nxt, (z ^ (z >> 16)) & _MASK


def _rotl(x, k):
    return ((x << k) | (x >> (32 - k))) & _MASK


class Rng:
    """Seeded stream: Rng(1337).index(1000) is an int in [0, 1000), equal to the engine's."""

    def __init__(self, seed_or_state):
        if isinstance(seed_or_state, (list, tuple)):
            if len(seed_or_state) != 4:
                raise ValueError("an Rng state is four 32-bit words, got %r" % (seed_or_state,))
            self.s = [int(w) & _MASK for w in seed_or_state]
            return
        x = int(seed_or_state) & _MASK
        s = []
        for _ in range(4):
            x, out = _splitmix32(x)
            s.append(out)
        self.s = s

    def next_uint32(self):
        """Next raw 32-bit word (xoshiro128**)."""
        s0, s1, s2, s3 = self.s
        result = (_rotl((s1 * 5) & _MASK, 7) * 9) & _MASK
        t = (s1 << 9) & _MASK
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = _rotl(s3, 11)
        self.s = [s0, s1, s2, s3]
        return result

    def uniform(self):
        """Float in [0, 1) with 53 random bits: ((a >> 5) * 2^26 + (b >> 6)) / 2^53, exact."""
        a = self.next_uint32() >> 5
        b = self.next_uint32() >> 6
        return (a * 67108864 + b) / _TWO_POW_53

    def index(self, n):
        """Integer in [0, n) as floor(uniform() * n)."""
        return int(math.floor(self.uniform() * n))

    def normal(self):
        """Standard normal (Box-Muller, cosine branch: two uniforms per sample)."""
        u1 = 1.0 - self.uniform()  # (0, 1]: the log is finite
        u2 = self.uniform()
        return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)

    def get_state(self):
        return list(self.s)

    def set_state(self, state):
        self.s = [int(w) & _MASK for w in state]
`;
