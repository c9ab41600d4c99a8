// The assembler and the SIMD128 kernels on a bare WebAssembly.Memory, against float64 references
// written out on the host: the modules validate (plain and shared memory), elementwise kernels
// handle lengths that are not a multiple of 4, and layout kernels are exact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble, FunctionBuilder } from './assembler';
import { instantiateSimdKernels, simdFunctions } from './kernels';

/** A heap with a bump allocator and float views. */
function heap() {
  const memory = new WebAssembly.Memory({ initial: 64 });
  const k = instantiateSimdKernels(memory);
  const F = () => new Float32Array(memory.buffer);
  let next = 64;
  const alloc = (n: number, fill?: (i: number) => number) => {
    const p = next;
    next += 4 * n + 64;
    if (fill) for (let i = 0; i < n; i++) F()[p / 4 + i] = fill(i);
    return p;
  };
  const read = (p: number, n: number) => Array.from(F().subarray(p / 4, p / 4 + n));
  return { memory, k, alloc, read, F };
}

function assertClose(got: number[], want: number[], what: string, rel = 2e-6, abs = 1e-6): void {
  assert.equal(got.length, want.length);
  got.forEach((g, i) => assert.ok(Math.abs(g - want[i]) <= abs + rel * Math.abs(want[i]), `${what}[${i}]: ${g} vs ${want[i]}`));
}

const A = 2 * Math.sqrt(2 / Math.PI);
const B = A * 0.044715;
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
const f32 = Math.fround;

test('the kernel module validates with plain and with shared memory; a tiny function runs', () => {
  for (const shared of [false, true]) assert.ok(WebAssembly.validate(assemble(simdFunctions(), { shared })), `shared=${shared}`);
  const f = new FunctionBuilder(['i32', 'i32'], ['i32']);
  f.get(0).get(1).op('i32.add');
  const memory = new WebAssembly.Memory({ initial: 1 });
  const { add } = new WebAssembly.Instance(new WebAssembly.Module(assemble({ add: f }, { shared: false })), { env: { memory } }).exports as {
    add(a: number, b: number): number;
  };
  assert.equal(add(40, 2), 42);
});

test('GELU and SwiGLU kernels: every element right, also past the last multiple of 4', () => {
  const { k, alloc, read } = heap();
  const n = 1030; // 257 vectors and a tail of 2
  const xs = Array.from({ length: n }, (_, i) => f32(Math.sin(i * 1.7) * 6));
  const ups = Array.from({ length: n }, (_, i) => f32(Math.cos(i * 0.3)));
  const dys = Array.from({ length: n }, (_, i) => f32(Math.cos(i)));
  const [x, u, dy, y, dx, du] = [alloc(n, (i) => xs[i]), alloc(n, (i) => ups[i]), alloc(n, (i) => dys[i]), alloc(n), alloc(n), alloc(n)];
  k.gelu_fwd(x, y, n);
  assertClose(
    read(y, n),
    xs.map((v) => v * sigmoid(v * (A + B * v * v))),
    'gelu',
  );
  k.gelu_bwd(x, dy, dx, n);
  const geluGrad = xs.map((v, i) => {
    const s = sigmoid(v * (A + B * v * v));
    return dys[i] * (s + v * s * (1 - s) * (A + 3 * B * v * v));
  });
  assertClose(read(dx, n), geluGrad, 'gelu grad', 1e-5, 1e-5);
  k.swiglu_fwd(x, u, y, n);
  assertClose(
    read(y, n),
    xs.map((g, i) => g * sigmoid(g) * ups[i]),
    'swiglu',
  );
  k.swiglu_bwd(x, u, dy, dx, du, n);
  assertClose(
    read(dx, n),
    xs.map((g, i) => dys[i] * ups[i] * (sigmoid(g) + g * sigmoid(g) * (1 - sigmoid(g)))),
    'swiglu dgate',
    1e-5,
    1e-5,
  );
  assertClose(
    read(du, n),
    xs.map((g, i) => dys[i] * g * sigmoid(g)),
    'swiglu dup',
  );
});

test('extreme inputs: exp saturates instead of producing NaN', () => {
  const { k, alloc, read } = heap();
  const xs = [-1e4, -100, -50, 0, 50, 100, 1e4, 3];
  const [x, y] = [alloc(8, (i) => xs[i]), alloc(8)];
  k.gelu_fwd(x, y, 8);
  assertClose(
    read(y, 8),
    xs.map((v) => (v < -40 ? 0 : v > 40 ? v : v * sigmoid(v * (A + B * v * v)))),
    'gelu at the extremes',
  );
});

test('LayerNorm / RMSNorm forward and backward against float64 references', () => {
  const { k, alloc, read, F } = heap();
  const [N, C] = [5, 12];
  const [x, w, b] = [alloc(N * C, (i) => Math.sin(i) * 3 + 2), alloc(C, (i) => 1 + 0.1 * i), alloc(C, (i) => 0.01 * i)];
  const [dy, y, mean, rstd, dx, dw, db] = [alloc(N * C, (i) => Math.cos(0.7 * i)), alloc(N * C), alloc(N), alloc(N), alloc(N * C), alloc(C), alloc(C)];
  const X = read(x, N * C);
  const W = read(w, C);
  const Bv = read(b, C);
  const DY = read(dy, N * C);
  for (const centered of [true, false]) {
    if (centered) k.layernorm_fwd(x, w, b, y, mean, rstd, N, C, 1e-5);
    else k.rmsnorm_fwd(x, w, y, rstd, N, C, 1e-5);
    if (centered) k.layernorm_bwd(dy, x, mean, rstd, w, dx, dw, db, N, C);
    else k.rmsnorm_bwd(dy, x, rstd, w, dx, dw, N, C);
    const yRef: number[] = [];
    const dxRef: number[] = [];
    const dwRef = new Array(C).fill(0);
    const dbRef = new Array(C).fill(0);
    for (let n = 0; n < N; n++) {
      const row = X.slice(n * C, n * C + C);
      const m = centered ? row.reduce((s, v) => s + v, 0) / C : 0;
      const r = 1 / Math.sqrt(row.reduce((s, v) => s + (v - m) ** 2, 0) / C + 1e-5);
      const h = row.map((v) => (v - m) * r);
      const g = h.map((_, c) => DY[n * C + c] * W[c]);
      const mg = centered ? g.reduce((s, v) => s + v, 0) / C : 0;
      const mgh = g.reduce((s, v, c) => s + v * h[c], 0) / C;
      h.forEach((hv, c) => {
        yRef.push(hv * W[c] + (centered ? Bv[c] : 0));
        dxRef.push(r * (g[c] - mg - hv * mgh));
        dwRef[c] += DY[n * C + c] * hv;
        dbRef[c] += DY[n * C + c];
      });
    }
    const kind = centered ? 'layernorm' : 'rmsnorm';
    assertClose(read(y, N * C), yRef, `${kind} y`, 1e-5, 1e-5);
    assertClose(read(dx, N * C), dxRef, `${kind} dx`, 1e-4, 1e-5);
    assertClose(read(dw, C), dwRef, `${kind} dw`, 1e-5, 1e-5);
    if (centered) assertClose(read(db, C), dbRef, 'layernorm db', 1e-5, 1e-5);
    assert.ok(F().every(Number.isFinite));
  }
});

test('cross-entropy: gradient (softmax - onehot) / N and row statistics', () => {
  const { k, alloc, read, memory } = heap();
  const [N, V] = [3, 12];
  const targets = [3, 11, 0];
  const lg = alloc(N * V, (i) => Math.sin(i * 2.1) * 5);
  const tg = alloc(N);
  new Int32Array(memory.buffer).set(targets, tg / 4);
  const [grad, rowMax, rowSum] = [alloc(N * V), alloc(N), alloc(N)];
  k.xent(lg, tg, grad, rowMax, rowSum, N, V, 1 / N);
  const L = read(lg, N * V);
  const want: number[] = [];
  const maxes: number[] = [];
  const sums: number[] = [];
  for (let n = 0; n < N; n++) {
    const row = L.slice(n * V, n * V + V);
    const m = Math.max(...row);
    const e = row.map((v) => Math.exp(v - m));
    const s = e.reduce((a, v) => a + v, 0);
    maxes.push(m);
    sums.push(s);
    e.forEach((v, j) => want.push((v / s - (j === targets[n] ? 1 : 0)) / N));
  }
  assertClose(read(grad, N * V), want, 'grad', 1e-5, 1e-7);
  assertClose(read(rowMax, N), maxes, 'row max');
  assertClose(read(rowSum, N), sums, 'row sum', 1e-5);
});

test('RoPE forward and backward, transposes and axis swaps', () => {
  const { k, alloc, read } = heap();
  const [Bn, T, H, hs] = [2, 3, 2, 8];
  const size = Bn * T * H * hs;
  const [x, cos, sin, out] = [alloc(size, (i) => Math.sin(i)), alloc(T * hs, (i) => Math.cos(0.3 * i)), alloc(T * hs, (i) => Math.sin(0.3 * i)), alloc(size)];
  const [X, CS, SN] = [read(x, size), read(cos, T * hs), read(sin, T * hs)];
  for (const backward of [false, true]) {
    (backward ? k.rope_bwd : k.rope_fwd)(x, cos, sin, out, Bn, T, H, hs);
    const want: number[] = [];
    for (let i = 0; i < size; i += hs) {
      const t = Math.floor(i / (H * hs)) % T;
      for (let c = 0; c < hs; c++) {
        const p = c < hs / 2 ? c + hs / 2 : c - hs / 2; // the partner channel
        want.push(X[i + c] * CS[t * hs + c] + X[i + p] * SN[t * hs + (backward ? p : c)]);
      }
    }
    assertClose(read(out, size), want, backward ? 'rope bwd' : 'rope fwd');
  }
  const [batch, M, N] = [2, 8, 12];
  const [tx, to] = [alloc(batch * M * N, (i) => i), alloc(batch * M * N)];
  k.transpose(tx, to, batch, M, N);
  const T1: number[] = [];
  for (let b = 0; b < batch; b++) for (let j = 0; j < N; j++) for (let i = 0; i < M; i++) T1.push(b * M * N + i * N + j);
  assert.deepEqual(read(to, batch * M * N), T1);
  const [a, bb, c, d] = [2, 3, 4, 8];
  const [sx, so] = [alloc(a * bb * c * d, (i) => i), alloc(a * bb * c * d)];
  k.swap_middle(sx, so, a, bb, c, d);
  const S1: number[] = [];
  for (let i0 = 0; i0 < a; i0++)
    for (let i2 = 0; i2 < c; i2++) for (let i1 = 0; i1 < bb; i1++) for (let i3 = 0; i3 < d; i3++) S1.push(((i0 * bb + i1) * c + i2) * d + i3);
  assert.deepEqual(read(so, a * bb * c * d), S1);
});

test('AdamW kernel: one step as torch computes it, tail included', () => {
  const { k, alloc, read } = heap();
  const n = 13;
  const [p, g, m, v, po, mo, vo] = [
    alloc(n, Math.sin),
    alloc(n, Math.cos),
    alloc(n, (i) => 0.01 * i),
    alloc(n, (i) => 0.001 * i),
    alloc(n),
    alloc(n),
    alloc(n),
  ];
  const [P, G, Mm, Vv] = [read(p, n), read(g, n), read(m, n), read(v, n)];
  k.adam(p, g, m, v, po, mo, vo, n, 0.9, 0.95, 1e-8, 0.999, 0.01, 0.01, 0.3);
  const gi = G.map((x, i) => x + 0.01 * P[i]);
  const mRef = Mm.map((x, i) => 0.9 * x + 0.1 * gi[i]);
  const vRef = Vv.map((x, i) => 0.95 * x + 0.05 * gi[i] * gi[i]);
  assertClose(read(mo, n), mRef, 'm');
  assertClose(read(vo, n), vRef, 'v');
  assertClose(
    read(po, n),
    P.map((x, i) => 0.999 * x - (0.01 * mRef[i]) / (Math.sqrt(vRef[i]) / 0.3 + 1e-8)),
    'p',
    1e-5,
  );
});

test('sumsq sums squares in float64 for any length; scale multiplies by the scalar on the heap', () => {
  const { k, alloc, read } = heap();
  for (const n of [0, 1, 3, 4, 5, 8, 13, 4099]) {
    const x = alloc(n, (i) => Math.sin(i + 1) * 3);
    const want = read(x, n).reduce((s, v) => s + v * v, 0);
    assert.ok(Math.abs(k.sumsq(x, n) - want) <= 1e-12 * want, `sumsq n=${n}: ${k.sumsq(x, n)} vs ${want}`);
  }
  // A float32 running sum of these 2^18 squares is off by 5e-4 relative.
  const n = 1 << 18;
  const x = alloc(n, (i) => 1 + (i % 7) * 1e-3);
  const want = read(x, n).reduce((s, v) => s + v * v, 0);
  assert.ok(Math.abs(k.sumsq(x, n) - want) <= 1e-12 * want, `sumsq of 2^18: ${k.sumsq(x, n)} vs ${want}`);

  for (const m of [4, 7, 33]) {
    const src = alloc(m, (i) => i - 10.25);
    const c = alloc(1, () => -0.5);
    const y = alloc(m);
    k.scale(src, c, y, m);
    assert.deepEqual(
      read(y, m),
      read(src, m).map((v) => f32(v * -0.5)),
      `scale n=${m}`,
    );
  }
});
