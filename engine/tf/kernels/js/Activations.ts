// GELU (tanh approximation) and SwiGLU, forward and backward, as one kernel each way. Only the
// inputs are kept for the backward pass, which recomputes the sigmoid, so no [N, F] intermediate
// is stored (the composed forms save two or three). wasm: SIMD128 with a polynomial exp
// (simd/kernels.ts); cpu: scalar loops with Math.exp. Formulas: names.ts.
// [1024, 512] forward + backward: wasm GELU 7.5 -> 4.8 ms, SwiGLU 7.1 -> 5.0 ms; cpu 249 -> 106 ms,
// 152 -> 101 ms (bench/OPTIMIZATIONS.md).
import { GeluBackward, GeluForward, SwigluBackward, SwigluForward } from '../../names';
import { jsKernelConfigs, type JsKernelDef } from '../jsKernel';

const A = 2 * Math.sqrt(2 / Math.PI); // 2u = x (A + B x^2), gelu_tanh(x) = x sigmoid(2u)
const B = A * 0.044715;
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
type NoAttrs = Record<string, never>;

export const geluForwardDef: JsKernelDef<NoAttrs> = {
  kernelName: GeluForward,
  inputNames: ['x'],
  outputs: ([x]) => [{ shape: x.shape, dtype: 'float32' }],
  compute([x], [y]) {
    for (let i = 0; i < x.length; i++) y[i] = x[i] * sigmoid(x[i] * (A + B * x[i] * x[i]));
  },
  wasmSimd({ simd, inputs: [x], outputs: [y], infos: [info] }) {
    const n = info.shape.reduce((a, b) => a * b, 1);
    if (n < 4) return false;
    simd.gelu_fwd(x, y, n);
    return true;
  },
};

export const geluBackwardDef: JsKernelDef<NoAttrs> = {
  kernelName: GeluBackward,
  inputNames: ['x', 'dy'],
  outputs: ([x]) => [{ shape: x.shape, dtype: 'float32' }],
  compute([x, dy], [dx]) {
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      const s = sigmoid(v * (A + B * v * v));
      dx[i] = dy[i] * (s + v * s * (1 - s) * (A + 3 * B * v * v));
    }
  },
  wasmSimd({ simd, inputs: [x, dy], outputs: [dx], infos: [info] }) {
    const n = info.shape.reduce((a, b) => a * b, 1);
    if (n < 4) return false;
    simd.gelu_bwd(x, dy, dx, n);
    return true;
  },
};

export const swigluForwardDef: JsKernelDef<NoAttrs> = {
  kernelName: SwigluForward,
  inputNames: ['gate', 'up'],
  outputs: ([gate]) => [{ shape: gate.shape, dtype: 'float32' }],
  compute([g, u], [y]) {
    for (let i = 0; i < g.length; i++) y[i] = g[i] * sigmoid(g[i]) * u[i];
  },
  wasmSimd({ simd, inputs: [g, u], outputs: [y], infos: [info] }) {
    const n = info.shape.reduce((a, b) => a * b, 1);
    if (n < 4) return false;
    simd.swiglu_fwd(g, u, y, n);
    return true;
  },
};

export const swigluBackwardDef: JsKernelDef<NoAttrs> = {
  kernelName: SwigluBackward,
  inputNames: ['gate', 'up', 'dy'],
  outputs: ([gate]) => [0, 1].map(() => ({ shape: gate.shape, dtype: 'float32' as const })),
  compute([g, u, dy], [dg, du]) {
    for (let i = 0; i < g.length; i++) {
      const s = sigmoid(g[i]);
      dg[i] = dy[i] * u[i] * (s + g[i] * s * (1 - s));
      du[i] = dy[i] * g[i] * s;
    }
  },
  wasmSimd({ simd, inputs: [g, u, dy], outputs: [dg, du], infos: [info] }) {
    const n = info.shape.reduce((a, b) => a * b, 1);
    if (n < 4) return false;
    simd.swiglu_bwd(g, u, dy, dg, du, n);
    return true;
  },
};

export const activationConfigs = [geluForwardDef, geluBackwardDef, swigluForwardDef, swigluBackwardDef].flatMap((d) => jsKernelConfigs(d));
