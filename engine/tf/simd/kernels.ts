// SIMD128 kernels for tfjs-backend-wasm, written with assembler.ts and run on the tfjs heap in
// place (arguments are byte offsets of tensor buffers). Each replaces a chain of stock kernels by
// one pass; formulas match the JS kernels in ../kernels/js (and the composed ops) exactly.
//
// Conventions: f32 throughout. Elementwise kernels take n >= 4 and handle a length that is not a
// multiple of 4 by running the last 4 elements once more (outputs never alias inputs, so that is
// idempotent). Row kernels need their row length to be a multiple of 4; callers check (simd.ts).
// exp: Cephes' expf (range reduction by ln 2, degree-5 polynomial, 2^n built in the exponent
// bits), ~1 ulp over the range the kernels use. Speed notes (V8 on x86): f32x4.pmin/pmax are one
// instruction each where min/max need NaN fix-ups, and 2^n comes from adding a magic constant
// (1.5 * 2^23) and shifting the bits, which avoids the costly saturating float-to-int conversion.
import { assemble, FunctionBuilder, type ValType } from './assembler';

const LOG2E = 1.44269504088896341;
const EXP_C1 = 0.693359375; // ln 2 split in two for an exact reduction
const EXP_C2 = -2.1219444e-4;
const EXP_P = [1.98756915e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];
const GELU_A = 2 * Math.sqrt(2 / Math.PI); // 2u = x (A + B x^2), gelu_tanh(x) = x sigmoid(2u)
const GELU_B = GELU_A * 0.044715;

/** exp of the v128 on top of the stack (replaced by the result); t and fx are scratch v128 locals. */
function expV(f: FunctionBuilder, t: number, fx: number): void {
  // pmin(a, b) = b < a ? b : a: with the constant first, a NaN input passes through
  f.set(t).f32x4(88.0).get(t).op('f32x4.pmin').set(t);
  f.f32x4(-87.33654).get(t).op('f32x4.pmax').set(t);
  f.get(t).f32x4(LOG2E).op('f32x4.mul').op('f32x4.nearest').set(fx);
  f.get(t).get(fx).f32x4(EXP_C1).op('f32x4.mul').op('f32x4.sub').get(fx).f32x4(EXP_C2).op('f32x4.mul').op('f32x4.sub').set(t);
  f.get(t).f32x4(EXP_P[0]).op('f32x4.mul');
  for (const p of EXP_P.slice(1)) f.f32x4(p).op('f32x4.add').get(t).op('f32x4.mul');
  // now P(t) * t on the stack; y = P(t) t^2 + t + 1
  f.get(t).op('f32x4.mul').get(t).op('f32x4.add').f32x4(1).op('f32x4.add');
  // 2^fx: fx + 127 + 1.5 * 2^23 holds the integer fx + 127 in its low mantissa bits; shifting
  // left by 23 moves exactly those bits into the exponent field.
  f.get(fx)
    .f32x4(127 + 12582912)
    .op('f32x4.add')
    .i32(23)
    .op('i32x4.shl')
    .op('f32x4.mul');
}

/** sigmoid(v) = 1 / (1 + exp(-v)) of the v128 on top of the stack. */
function sigmoidV(f: FunctionBuilder, t: number, fx: number, tmp: number): void {
  f.op('f32x4.neg');
  expV(f, t, fx);
  f.set(tmp).f32x4(1).f32x4(1).get(tmp).op('f32x4.add').op('f32x4.div');
}

/** Address of element `off` (a byte offset local) in buffer `base` (a pointer local). */
const at = (f: FunctionBuilder, base: number, off: number) => f.get(base).get(off).op('i32.add');

/**
 * Runs body(off) for byte offsets 0, 16, ... over n floats, then once at 4 (n - 4) when n is not
 * a multiple of 4. `n` is a local holding the element count (>= 4).
 */
function elementwise(f: FunctionBuilder, n: number, body: (off: number) => void): void {
  const off = f.local('i32');
  const last = f.local('i32');
  f.get(n).i32(4).op('i32.sub').i32(4).op('i32.mul').set(last);
  f.i32(0).set(off);
  f.block().loop();
  f.get(off).get(last).op('i32.gt_s').brIf(1);
  body(off);
  f.get(off).i32(16).op('i32.add').set(off);
  f.br(0).end().end();
  f.get(n).i32(3).op('i32.and').if();
  f.get(last).set(off);
  body(off);
  f.end();
}

/** for (i = from; i < to; i += step) body(), with `to` pushed by a callback. */
function forLoop(f: FunctionBuilder, i: number, from: number, to: () => void, step: number, body: () => void): void {
  f.i32(from).set(i);
  f.block().loop();
  f.get(i);
  to();
  f.op('i32.ge_s').brIf(1);
  body();
  f.get(i).i32(step).op('i32.add').set(i);
  f.br(0).end().end();
}

/** Sum of the four lanes of the v128 in `v`, as f32 on the stack. */
const hsum = (f: FunctionBuilder, v: number) => f.get(v).lane(0).get(v).lane(1).op('f32.add').get(v).lane(2).op('f32.add').get(v).lane(3).op('f32.add');
const hmax = (f: FunctionBuilder, v: number) => f.get(v).lane(0).get(v).lane(1).op('f32.max').get(v).lane(2).op('f32.max').get(v).lane(3).op('f32.max');

const params = (...types: ValType[]) => types;

// ------------------------------------------------------------------ several tensors at once

/**
 * sumsq(x, n) -> f64: the sum of x[i]^2 over n floats (any n), squared and summed in f64 (two
 * f64x2 accumulators, then the elements after the last multiple of 4 one by one).
 */
function sumOfSquares(): FunctionBuilder {
  const f = new FunctionBuilder(params('i32', 'i32'), ['f64']);
  const [x, n] = [0, 1];
  const off = f.local('i32'),
    end = f.local('i32'),
    v = f.local('v128'),
    half = f.local('v128'),
    lo = f.local('v128'),
    hi = f.local('v128'),
    tail = f.local('f64'),
    e = f.local('f64');
  const square = (acc: number) => f.get(half).get(half).op('f64x2.mul').get(acc).op('f64x2.add').set(acc);
  f.get(n).i32(-4).op('i32.and').i32(4).op('i32.mul').set(end);
  forLoop(
    f,
    off,
    0,
    () => f.get(end),
    16,
    () => {
      at(f, x, off).load('v128').tee(v).op('f64x2.promote_low_f32x4').set(half);
      square(lo);
      f.get(v).get(v).shuffle32([2, 3, 2, 3]).op('f64x2.promote_low_f32x4').set(half);
      square(hi);
    },
  );
  f.block().loop();
  f.get(off).get(n).i32(4).op('i32.mul').op('i32.ge_s').brIf(1);
  at(f, x, off).load('f32').op('f64.promote_f32').tee(e).get(e).op('f64.mul').get(tail).op('f64.add').set(tail);
  f.get(off).i32(4).op('i32.add').set(off);
  f.br(0).end().end();
  f.get(lo).laneF64(0).get(lo).laneF64(1).op('f64.add').get(hi).laneF64(0).op('f64.add').get(hi).laneF64(1).op('f64.add');
  f.get(tail).op('f64.add');
  return f;
}

/** scale(x, c, y, n): y = x * c, with c the f32 at address c (a scalar tensor on the heap). */
function scale(): FunctionBuilder {
  const f = new FunctionBuilder(params('i32', 'i32', 'i32', 'i32'));
  const [x, c, y, n] = [0, 1, 2, 3];
  const cv = f.local('v128');
  f.get(c).load('f32').op('f32x4.splat').set(cv);
  elementwise(f, n, (off) => {
    at(f, y, off);
    at(f, x, off).load('v128').get(cv).op('f32x4.mul').store('v128');
  });
  return f;
}

// ------------------------------------------------------------------ activations

/** gelu_fwd(x, y, n): y = x sigmoid(x (A + B x^2)). */
function geluFwd(): FunctionBuilder {
  const f = new FunctionBuilder(params('i32', 'i32', 'i32'));
  const [x, y, n] = [0, 1, 2];
  const xv = f.local('v128'),
    t = f.local('v128'),
    fx = f.local('v128'),
    tmp = f.local('v128');
  elementwise(f, n, (off) => {
    at(f, x, off).load('v128').set(xv);
    at(f, y, off);
    f.get(xv);
    f.get(xv).get(xv).op('f32x4.mul').f32x4(GELU_B).op('f32x4.mul').f32x4(GELU_A).op('f32x4.add').get(xv).op('f32x4.mul');
    sigmoidV(f, t, fx, tmp);
    f.op('f32x4.mul').store('v128');
  });
  return f;
}

/** gelu_bwd(x, dy, dx, n): dx = dy (s + x s (1 - s) (A + 3 B x^2)), s = sigmoid(x (A + B x^2)). */
function geluBwd(): FunctionBuilder {
  const f = new FunctionBuilder(params('i32', 'i32', 'i32', 'i32'));
  const [x, dy, dx, n] = [0, 1, 2, 3];
  const xv = f.local('v128'),
    x2 = f.local('v128'),
    s = f.local('v128'),
    t = f.local('v128'),
    fx = f.local('v128'),
    tmp = f.local('v128');
  elementwise(f, n, (off) => {
    at(f, x, off).load('v128').tee(xv).get(xv).op('f32x4.mul').set(x2);
    f.get(x2).f32x4(GELU_B).op('f32x4.mul').f32x4(GELU_A).op('f32x4.add').get(xv).op('f32x4.mul');
    sigmoidV(f, t, fx, tmp);
    f.set(s);
    at(f, dx, off);
    at(f, dy, off).load('v128');
    f.get(s);
    f.get(xv).get(s).op('f32x4.mul').f32x4(1).get(s).op('f32x4.sub').op('f32x4.mul');
    f.get(x2)
      .f32x4(3 * GELU_B)
      .op('f32x4.mul')
      .f32x4(GELU_A)
      .op('f32x4.add')
      .op('f32x4.mul');
    f.op('f32x4.add').op('f32x4.mul').store('v128');
  });
  return f;
}

/** swiglu_fwd(g, u, y, n): y = g sigmoid(g) u. */
function swigluFwd(): FunctionBuilder {
  const f = new FunctionBuilder(params('i32', 'i32', 'i32', 'i32'));
  const [g, u, y, n] = [0, 1, 2, 3];
  const gv = f.local('v128'),
    t = f.local('v128'),
    fx = f.local('v128'),
    tmp = f.local('v128');
  elementwise(f, n, (off) => {
    at(f, y, off);
    at(f, g, off).load('v128').tee(gv).get(gv);
    sigmoidV(f, t, fx, tmp);
    f.op('f32x4.mul');
    at(f, u, off).load('v128').op('f32x4.mul').store('v128');
  });
  return f;
}

/** swiglu_bwd(g, u, dy, dg, du, n): dg = dy u (s + g s (1 - s)), du = dy g s, s = sigmoid(g). */
function swigluBwd(): FunctionBuilder {
  const f = new FunctionBuilder(params('i32', 'i32', 'i32', 'i32', 'i32', 'i32'));
  const [g, u, dy, dg, du, n] = [0, 1, 2, 3, 4, 5];
  const gv = f.local('v128'),
    s = f.local('v128'),
    dyv = f.local('v128'),
    t = f.local('v128'),
    fx = f.local('v128'),
    tmp = f.local('v128');
  elementwise(f, n, (off) => {
    at(f, g, off).load('v128').tee(gv);
    sigmoidV(f, t, fx, tmp);
    f.set(s);
    at(f, dy, off).load('v128').set(dyv);
    at(f, du, off).get(dyv).get(gv).op('f32x4.mul').get(s).op('f32x4.mul').store('v128');
    at(f, dg, off).get(dyv);
    at(f, u, off).load('v128').op('f32x4.mul');
    f.get(s).get(gv).get(s).op('f32x4.mul').f32x4(1).get(s).op('f32x4.sub').op('f32x4.mul').op('f32x4.add');
    f.op('f32x4.mul').store('v128');
  });
  return f;
}

// ------------------------------------------------------------------ optimizer

/** adam(p, g, m, v, pOut, mOut, vOut, n, beta1, beta2, eps, decay, l2, stepSize, bc2Sqrt). See names.ts FusedAdamUpdate. */
function adam(): FunctionBuilder {
  const f = new FunctionBuilder(params('i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'f32', 'f32', 'f32', 'f32', 'f32', 'f32', 'f32'));
  const [p, g, m, v, po, mo, vo, n] = [0, 1, 2, 3, 4, 5, 6, 7];
  const scalars = [8, 9, 10, 11, 12, 13, 14]; // beta1, beta2, eps, decay, l2, stepSize, bc2Sqrt
  const [b1, b2, eps, decay, l2, step, bc2] = scalars.map((i) => {
    const local = f.local('v128');
    f.get(i).op('f32x4.splat').set(local);
    return local;
  });
  const c1 = f.local('v128'),
    c2 = f.local('v128');
  f.f32x4(1).get(b1).op('f32x4.sub').set(c1);
  f.f32x4(1).get(b2).op('f32x4.sub').set(c2);
  const pv = f.local('v128'),
    gi = f.local('v128'),
    mv = f.local('v128'),
    vv = f.local('v128');
  elementwise(f, n, (off) => {
    at(f, p, off).load('v128').set(pv);
    at(f, g, off).load('v128').get(l2).get(pv).op('f32x4.mul').op('f32x4.add').set(gi);
    at(f, m, off).load('v128').get(b1).op('f32x4.mul').get(c1).get(gi).op('f32x4.mul').op('f32x4.add').set(mv);
    at(f, v, off).load('v128').get(b2).op('f32x4.mul').get(c2).get(gi).op('f32x4.mul').get(gi).op('f32x4.mul').op('f32x4.add').set(vv);
    at(f, mo, off).get(mv).store('v128');
    at(f, vo, off).get(vv).store('v128');
    at(f, po, off);
    f.get(decay).get(pv).op('f32x4.mul');
    f.get(step).get(mv).op('f32x4.mul').get(vv).op('f32x4.sqrt').get(bc2).op('f32x4.div').get(eps).op('f32x4.add').op('f32x4.div');
    f.op('f32x4.sub').store('v128');
  });
  return f;
}

// ------------------------------------------------------------------ norms (C % 4 == 0)

/** Row loop over N rows of C floats: body(rowOffset) with rowOffset a byte offset local. */
function rows(f: FunctionBuilder, N: number, C: number, body: (row: number, r: number) => void): void {
  const r = f.local('i32');
  const row = f.local('i32');
  forLoop(
    f,
    r,
    0,
    () => f.get(N),
    1,
    () => {
      f.get(r).get(C).op('i32.mul').i32(4).op('i32.mul').set(row);
      body(row, r);
    },
  );
}

/** for (c = 0; c < C; c += 4) body(cOff) with cOff a byte offset local. */
function cols(f: FunctionBuilder, C: number, body: (c: number) => void): void {
  const c = f.local('i32');
  const c4 = f.local('i32');
  forLoop(
    f,
    c,
    0,
    () => f.get(C),
    4,
    () => {
      f.get(c).i32(4).op('i32.mul').set(c4);
      body(c4);
    },
  );
}

/** Address base + row + c (pointer local + two byte-offset locals). */
const at2 = (f: FunctionBuilder, base: number, row: number, c: number) => f.get(base).get(row).op('i32.add').get(c).op('i32.add');

/** layernorm_fwd(x, w, b, y, mean, rstd, N, C, eps) and rmsnorm_fwd(x, w, y, rstd, N, C, eps). */
function normFwd(centered: boolean): FunctionBuilder {
  const f = centered
    ? new FunctionBuilder(params('i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'f32'))
    : new FunctionBuilder(params('i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'f32'));
  const [x, w, b, y, meanOut, rstdOut, N, C, eps] = centered ? [0, 1, 2, 3, 4, 5, 6, 7, 8] : [0, 1, -1, 2, -1, 3, 4, 5, 6];
  const acc = f.local('v128'),
    mv = f.local('v128'),
    rv = f.local('v128'),
    d = f.local('v128');
  const mean = f.local('f32'),
    rstd = f.local('f32');
  rows(f, N, C, (row, r) => {
    f.f32(0).set(mean);
    if (centered) {
      f.f32x4(0).set(acc);
      cols(f, C, (c) => void at2(f, x, row, c).load('v128').get(acc).op('f32x4.add').set(acc));
      hsum(f, acc).get(C).op('f32.convert_i32_s').op('f32.div').set(mean);
    }
    f.get(mean).op('f32x4.splat').set(mv);
    f.f32x4(0).set(acc);
    cols(f, C, (c) => void at2(f, x, row, c).load('v128').get(mv).op('f32x4.sub').tee(d).get(d).op('f32x4.mul').get(acc).op('f32x4.add').set(acc));
    f.f32(1);
    hsum(f, acc).get(C).op('f32.convert_i32_s').op('f32.div').get(eps).op('f32.add').op('f32.sqrt').op('f32.div').set(rstd);
    f.get(rstd).op('f32x4.splat').set(rv);
    cols(f, C, (c) => {
      at2(f, y, row, c);
      at2(f, x, row, c).load('v128').get(mv).op('f32x4.sub').get(rv).op('f32x4.mul');
      f.get(w).get(c).op('i32.add').load('v128').op('f32x4.mul');
      if (centered) f.get(b).get(c).op('i32.add').load('v128').op('f32x4.add');
      f.store('v128');
    });
    if (centered) f.get(meanOut).get(r).i32(4).op('i32.mul').op('i32.add').get(mean).store('f32');
    f.get(rstdOut).get(r).i32(4).op('i32.mul').op('i32.add').get(rstd).store('f32');
  });
  return f;
}

/**
 * layernorm_bwd(dy, x, mean, rstd, w, dx, dw, db, N, C) and rmsnorm_bwd(dy, x, rstd, w, dx, dw, N, C):
 * h = (x - mean) rstd, g = dy w, dx = rstd (g - [mean(g)] - h mean(g h)), dw = sum dy h, db = sum dy.
 */
function normBwd(centered: boolean): FunctionBuilder {
  const f = centered
    ? new FunctionBuilder(params('i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'))
    : new FunctionBuilder(params('i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'));
  const [dy, x, meanIn, rstdIn, w, dx, dw, db, N, C] = centered ? [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] : [0, 1, -1, 2, 3, 4, 5, -1, 6, 7];
  const mv = f.local('v128'),
    rv = f.local('v128'),
    h = f.local('v128'),
    dyv = f.local('v128'),
    g = f.local('v128');
  const accG = f.local('v128'),
    accGX = f.local('v128'),
    mg = f.local('v128'),
    mgx = f.local('v128');
  const rOff = f.local('i32');
  // dw (and db) start at zero: they accumulate over rows
  cols(f, C, (c) => {
    f.get(dw).get(c).op('i32.add').f32x4(0).store('v128');
    if (centered) f.get(db).get(c).op('i32.add').f32x4(0).store('v128');
  });
  const hOf = (row: number, c: number) => {
    at2(f, x, row, c).load('v128').get(mv).op('f32x4.sub').get(rv).op('f32x4.mul').set(h);
    at2(f, dy, row, c).load('v128').tee(dyv).get(w).get(c).op('i32.add').load('v128').op('f32x4.mul').set(g);
  };
  rows(f, N, C, (row, r) => {
    f.get(r).i32(4).op('i32.mul').set(rOff);
    if (centered) f.get(meanIn).get(rOff).op('i32.add').load('f32').op('f32x4.splat').set(mv);
    else f.f32x4(0).set(mv);
    f.get(rstdIn).get(rOff).op('i32.add').load('f32').op('f32x4.splat').set(rv);
    f.f32x4(0).set(accG).f32x4(0).set(accGX);
    cols(f, C, (c) => {
      hOf(row, c);
      f.get(accG).get(g).op('f32x4.add').set(accG);
      f.get(accGX).get(g).get(h).op('f32x4.mul').op('f32x4.add').set(accGX);
      f.get(dw).get(c).op('i32.add').get(dw).get(c).op('i32.add').load('v128').get(dyv).get(h).op('f32x4.mul').op('f32x4.add').store('v128');
      if (centered) f.get(db).get(c).op('i32.add').get(db).get(c).op('i32.add').load('v128').get(dyv).op('f32x4.add').store('v128');
    });
    if (centered) hsum(f, accG).get(C).op('f32.convert_i32_s').op('f32.div').op('f32x4.splat').set(mg);
    else f.f32x4(0).set(mg);
    hsum(f, accGX).get(C).op('f32.convert_i32_s').op('f32.div').op('f32x4.splat').set(mgx);
    cols(f, C, (c) => {
      hOf(row, c);
      at2(f, dx, row, c);
      f.get(g).get(mg).op('f32x4.sub').get(h).get(mgx).op('f32x4.mul').op('f32x4.sub').get(rv).op('f32x4.mul').store('v128');
    });
  });
  return f;
}

// ------------------------------------------------------------------ cross-entropy (V % 4 == 0)

/**
 * xent(logits, targets, grad, rowMax, rowSum, N, V, invN): grad = (softmax - onehot) * invN per row,
 * rowMax / rowSum the row's max and sum of exp(logit - max) (the caller forms the loss from them).
 */
function xent(): FunctionBuilder {
  const f = new FunctionBuilder(params('i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'f32'));
  const [logits, targets, grad, rowMax, rowSum, N, V, invN] = [0, 1, 2, 3, 4, 5, 6, 7];
  const acc = f.local('v128'),
    mv = f.local('v128'),
    e = f.local('v128'),
    t = f.local('v128'),
    fx = f.local('v128'),
    sv = f.local('v128');
  const max = f.local('f32'),
    sum = f.local('f32'),
    rOff = f.local('i32'),
    addr = f.local('i32');
  rows(f, N, V, (row, r) => {
    f.get(r).i32(4).op('i32.mul').set(rOff);
    f.f32x4(-Infinity).set(acc);
    cols(f, V, (c) => void at2(f, logits, row, c).load('v128').get(acc).op('f32x4.pmax').set(acc));
    hmax(f, acc).set(max);
    f.get(max).op('f32x4.splat').set(mv);
    f.f32x4(0).set(acc);
    cols(f, V, (c) => {
      at2(f, grad, row, c);
      at2(f, logits, row, c).load('v128').get(mv).op('f32x4.sub');
      expV(f, t, fx);
      f.tee(e).store('v128');
      f.get(acc).get(e).op('f32x4.add').set(acc);
    });
    hsum(f, acc).set(sum);
    f.get(invN).get(sum).op('f32.div').op('f32x4.splat').set(sv);
    cols(f, V, (c) => void at2(f, grad, row, c).tee(addr).get(addr).load('v128').get(sv).op('f32x4.mul').store('v128'));
    // grad[n, target] -= 1/N
    f.get(grad).get(row).op('i32.add').get(targets).get(rOff).op('i32.add').load('i32').i32(4).op('i32.mul').op('i32.add').tee(addr);
    f.get(addr).load('f32').get(invN).op('f32.sub').store('f32');
    f.get(rowMax).get(rOff).op('i32.add').get(max).store('f32');
    f.get(rowSum).get(rOff).op('i32.add').get(sum).store('f32');
  });
  return f;
}

// ------------------------------------------------------------------ RoPE ((hs / 2) % 4 == 0)

/**
 * rope_fwd / rope_bwd(x, cos, sin, out, B, T, H, hs): x [B, T, H, hs], tables [T, hs].
 * fwd: out_lo = lo cos_lo + hi sin_lo, out_hi = hi cos_hi + lo sin_hi;
 * bwd: out_lo = lo cos_lo + hi sin_hi, out_hi = hi cos_hi + lo sin_lo.
 */
function rope(backward: boolean): FunctionBuilder {
  const f = new FunctionBuilder(params('i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'));
  const [x, cos, sin, out, B, T, H, hs] = [0, 1, 2, 3, 4, 5, 6, 7];
  const b = f.local('i32'),
    t = f.local('i32'),
    h = f.local('i32'),
    c = f.local('i32');
  const base = f.local('i32'),
    tab = f.local('i32'),
    half = f.local('i32'),
    lo = f.local('v128'),
    hi = f.local('v128');
  f.get(hs).i32(2).op('i32.mul').set(half); // hs / 2 floats = 2 hs bytes
  f.i32(0).set(base);
  forLoop(
    f,
    b,
    0,
    () => f.get(B),
    1,
    () => {
      forLoop(
        f,
        t,
        0,
        () => f.get(T),
        1,
        () => {
          f.get(t).get(hs).op('i32.mul').i32(4).op('i32.mul').set(tab);
          forLoop(
            f,
            h,
            0,
            () => f.get(H),
            1,
            () => {
              forLoop(
                f,
                c,
                0,
                () => f.get(half),
                16,
                () => {
                  // c: byte offset within the first half
                  f.get(x).get(base).op('i32.add').get(c).op('i32.add').load('v128').set(lo);
                  f.get(x).get(base).op('i32.add').get(half).op('i32.add').get(c).op('i32.add').load('v128').set(hi);
                  const table = (which: number, upper: boolean) => {
                    f.get(which).get(tab).op('i32.add').get(c).op('i32.add');
                    if (upper) f.get(half).op('i32.add');
                    f.load('v128');
                  };
                  f.get(out).get(base).op('i32.add').get(c).op('i32.add');
                  f.get(lo);
                  table(cos, false);
                  f.op('f32x4.mul');
                  f.get(hi);
                  table(sin, backward);
                  f.op('f32x4.mul').op('f32x4.add').store('v128');
                  f.get(out).get(base).op('i32.add').get(half).op('i32.add').get(c).op('i32.add');
                  f.get(hi);
                  table(cos, true);
                  f.op('f32x4.mul');
                  f.get(lo);
                  table(sin, !backward);
                  f.op('f32x4.mul').op('f32x4.add').store('v128');
                },
              );
              f.get(base).get(hs).i32(4).op('i32.mul').op('i32.add').set(base);
            },
          );
        },
      );
    },
  );
  return f;
}

// ------------------------------------------------------------------ layout (float counts % 4 == 0)

/**
 * transpose(x, out, batch, M, N): out[b, j, i] = x[b, i, j] for M x N matrices (M, N % 4 == 0),
 * by 4 x 4 tiles: four row loads, two rounds of lane shuffles, four column stores.
 */
function transpose(): FunctionBuilder {
  const f = new FunctionBuilder(params('i32', 'i32', 'i32', 'i32', 'i32'));
  const [x, out, batch, M, N] = [0, 1, 2, 3, 4];
  const b = f.local('i32'),
    i = f.local('i32'),
    j = f.local('i32'),
    src = f.local('i32'),
    dst = f.local('i32');
  const rowBytes = f.local('i32'),
    colBytes = f.local('i32'),
    mat = f.local('i32');
  const v = [f.local('v128'), f.local('v128'), f.local('v128'), f.local('v128')];
  const t = [f.local('v128'), f.local('v128'), f.local('v128'), f.local('v128')];
  f.get(N).i32(4).op('i32.mul').set(rowBytes); // one row of x
  f.get(M).i32(4).op('i32.mul').set(colBytes); // one row of out
  f.i32(0).set(mat);
  forLoop(
    f,
    b,
    0,
    () => f.get(batch),
    1,
    () => {
      forLoop(
        f,
        i,
        0,
        () => f.get(M),
        4,
        () => {
          forLoop(
            f,
            j,
            0,
            () => f.get(N),
            4,
            () => {
              // src = x + mat + (i N + j) 4; dst = out + mat + (j M + i) 4
              f.get(x).get(mat).op('i32.add').get(i).get(N).op('i32.mul').get(j).op('i32.add').i32(4).op('i32.mul').op('i32.add').set(src);
              f.get(out).get(mat).op('i32.add').get(j).get(M).op('i32.mul').get(i).op('i32.add').i32(4).op('i32.mul').op('i32.add').set(dst);
              for (let r = 0; r < 4; r++) f.get(src).load('v128', 0).set(v[r]).get(src).get(rowBytes).op('i32.add').set(src);
              f.get(v[0]).get(v[1]).shuffle32([0, 4, 1, 5]).set(t[0]); // a0 b0 a1 b1
              f.get(v[0]).get(v[1]).shuffle32([2, 6, 3, 7]).set(t[1]); // a2 b2 a3 b3
              f.get(v[2]).get(v[3]).shuffle32([0, 4, 1, 5]).set(t[2]); // c0 d0 c1 d1
              f.get(v[2]).get(v[3]).shuffle32([2, 6, 3, 7]).set(t[3]); // c2 d2 c3 d3
              const rowsOut: [number, number, [number, number, number, number]][] = [
                [0, 2, [0, 1, 4, 5]],
                [0, 2, [2, 3, 6, 7]],
                [1, 3, [0, 1, 4, 5]],
                [1, 3, [2, 3, 6, 7]],
              ];
              for (const [p, q, lanes] of rowsOut) {
                f.get(dst).get(t[p]).get(t[q]).shuffle32(lanes).store('v128');
                f.get(dst).get(colBytes).op('i32.add').set(dst);
              }
            },
          );
        },
      );
      f.get(mat).get(M).get(N).op('i32.mul').i32(4).op('i32.mul').op('i32.add').set(mat);
    },
  );
  return f;
}

/** swap_middle(x, out, A, B, C, D): x [A, B, C, D] -> out [A, C, B, D] (D % 4 == 0), rows of D copied with v128 moves. */
function swapMiddle(): FunctionBuilder {
  const f = new FunctionBuilder(params('i32', 'i32', 'i32', 'i32', 'i32', 'i32'));
  const [x, out, A, B, C, D] = [0, 1, 2, 3, 4, 5];
  const a = f.local('i32'),
    bb = f.local('i32'),
    c = f.local('i32'),
    d = f.local('i32');
  const src = f.local('i32'),
    dst = f.local('i32'),
    rowBytes = f.local('i32');
  f.get(D).i32(4).op('i32.mul').set(rowBytes);
  f.get(x).set(src);
  forLoop(
    f,
    a,
    0,
    () => f.get(A),
    1,
    () => {
      forLoop(
        f,
        bb,
        0,
        () => f.get(B),
        1,
        () => {
          forLoop(
            f,
            c,
            0,
            () => f.get(C),
            1,
            () => {
              // dst = out + ((a C + c) B + bb) D 4; src advances row by row
              f.get(out)
                .get(a)
                .get(C)
                .op('i32.mul')
                .get(c)
                .op('i32.add')
                .get(B)
                .op('i32.mul')
                .get(bb)
                .op('i32.add')
                .get(rowBytes)
                .op('i32.mul')
                .op('i32.add')
                .set(dst);
              forLoop(
                f,
                d,
                0,
                () => f.get(rowBytes),
                16,
                () => {
                  f.get(dst).get(d).op('i32.add').get(src).get(d).op('i32.add').load('v128').store('v128');
                },
              );
              f.get(src).get(rowBytes).op('i32.add').set(src);
            },
          );
        },
      );
    },
  );
  return f;
}

/** Every kernel, by export name. */
export function simdFunctions(): Record<string, FunctionBuilder> {
  return {
    sumsq: sumOfSquares(),
    scale: scale(),
    gelu_fwd: geluFwd(),
    gelu_bwd: geluBwd(),
    swiglu_fwd: swigluFwd(),
    swiglu_bwd: swigluBwd(),
    adam: adam(),
    layernorm_fwd: normFwd(true),
    rmsnorm_fwd: normFwd(false),
    layernorm_bwd: normBwd(true),
    rmsnorm_bwd: normBwd(false),
    xent: xent(),
    rope_fwd: rope(false),
    rope_bwd: rope(true),
    transpose: transpose(),
    swap_middle: swapMiddle(),
  };
}

/** The kernels' exports, typed. Pointers are byte offsets into the shared heap. */
export interface SimdExports {
  sumsq(x: number, n: number): number;
  scale(x: number, c: number, y: number, n: number): void;
  gelu_fwd(x: number, y: number, n: number): void;
  gelu_bwd(x: number, dy: number, dx: number, n: number): void;
  swiglu_fwd(g: number, u: number, y: number, n: number): void;
  swiglu_bwd(g: number, u: number, dy: number, dg: number, du: number, n: number): void;
  adam(
    p: number,
    g: number,
    m: number,
    v: number,
    pOut: number,
    mOut: number,
    vOut: number,
    n: number,
    beta1: number,
    beta2: number,
    eps: number,
    decay: number,
    l2: number,
    stepSize: number,
    bc2Sqrt: number,
  ): void;
  layernorm_fwd(x: number, w: number, b: number, y: number, mean: number, rstd: number, N: number, C: number, eps: number): void;
  rmsnorm_fwd(x: number, w: number, y: number, rstd: number, N: number, C: number, eps: number): void;
  layernorm_bwd(dy: number, x: number, mean: number, rstd: number, w: number, dx: number, dw: number, db: number, N: number, C: number): void;
  rmsnorm_bwd(dy: number, x: number, rstd: number, w: number, dx: number, dw: number, N: number, C: number): void;
  xent(logits: number, targets: number, grad: number, rowMax: number, rowSum: number, N: number, V: number, invN: number): void;
  rope_fwd(x: number, cos: number, sin: number, out: number, B: number, T: number, H: number, hs: number): void;
  rope_bwd(x: number, cos: number, sin: number, out: number, B: number, T: number, H: number, hs: number): void;
  transpose(x: number, out: number, batch: number, M: number, N: number): void;
  swap_middle(x: number, out: number, A: number, B: number, C: number, D: number): void;
}

/**
 * Instantiates the kernels on `memory` (the tfjs-backend-wasm heap).
 * @example
 *   const k = instantiateSimdKernels(memory); k.gelu_fwd(xPtr, yPtr, n);
 */
export function instantiateSimdKernels(memory: WebAssembly.Memory): SimdExports {
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  const module = new WebAssembly.Module(assemble(simdFunctions(), { shared }));
  return new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as SimdExports;
}
