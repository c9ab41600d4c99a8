// Rope: rotary position embedding in one pass (forward or backward), instead of a matmul by the
// half-swap permutation, two multiplies and an add (see ops/rope.ts). wasm: SIMD128 when
// (hs / 2) % 4 == 0 (forward + backward of [16, 64, 4, 32]: 2.2 -> 1.0 ms); cpu and other head
// sizes: a scalar loop (cpu: 153 -> 20 ms; bench/OPTIMIZATIONS.md).
import { Rope, type RopeAttrs } from '../../names';
import { jsKernelConfigs, type JsKernelDef } from '../jsKernel';

export const ropeDef: JsKernelDef<RopeAttrs> = {
  kernelName: Rope,
  inputNames: ['x', 'cos', 'sin'],
  outputs: ([x]) => [{ shape: x.shape, dtype: 'float32' }],
  compute([x, cos, sin], [out], [info], { backward }) {
    const [B, T, H, hs] = info.shape;
    const half = hs / 2;
    for (let b = 0, i = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        const tab = t * hs;
        for (let h = 0; h < H; h++, i += hs) {
          for (let c = 0; c < half; c++) {
            const lo = x[i + c];
            const hi = x[i + c + half];
            if (backward) {
              // dx = dy * cos + swap(dy * sin): the sin of the partner channel
              out[i + c] = lo * cos[tab + c] + hi * sin[tab + c + half];
              out[i + c + half] = hi * cos[tab + c + half] + lo * sin[tab + c];
            } else {
              out[i + c] = lo * cos[tab + c] + hi * sin[tab + c];
              out[i + c + half] = hi * cos[tab + c + half] + lo * sin[tab + c + half];
            }
          }
        }
      }
    }
  },
  wasmSimd({ simd, inputs: [x, cos, sin], outputs: [out], infos: [info], attrs }) {
    const [B, T, H, hs] = info.shape;
    if ((hs / 2) % 4 !== 0) return false;
    (attrs.backward ? simd.rope_bwd : simd.rope_fwd)(x, cos, sin, out, B, T, H, hs);
    return true;
  },
};

export const ropeConfigs = jsKernelConfigs(ropeDef);
