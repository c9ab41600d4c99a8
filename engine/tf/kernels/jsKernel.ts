// Kernels written once as plain loops over typed arrays and registered for the backends whose
// tensors live in host memory: wasm (views of the wasm heap) and cpu (the backend's own arrays).
// Why: one pass instead of a chain of stock kernels saves the intermediate tensors, their memory
// traffic and tfjs's per-kernel overhead. V8 runs such scalar loops at ~1-8 ns per element, which
// beats the stock cpu kernels always but loses to chains of tfjs-backend-wasm's SIMD kernels; so
// on wasm a kernel can also have a SIMD128 path (def.wasmSimd, running engine/tf/simd/kernels.ts
// on the heap in place), and the scalar loop only covers the shapes that path does not take.
// GPU backends have no such kernel; the ops fall back to their composed form there.
import { util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { variadicName } from '../names';
import { instantiateSimdKernels, type SimdExports } from '../simd/kernels';

export type HostArray = Float32Array | Int32Array;

/** Shape and dtype of one output. */
export interface OutputSpec {
  shape: number[];
  dtype: 'float32' | 'int32';
}

/** What a SIMD path gets: the kernels, byte offsets of the buffers on the heap, and the heap. */
export interface SimdCall<Attrs> {
  simd: SimdExports;
  inputs: number[]; // byte offsets, in inputNames order
  outputs: number[]; // byte offsets of the (fresh, uninitialised) outputs
  infos: TensorInfo[];
  attrs: Attrs;
  heap: WasmHeap;
}

/** Scratch memory and views on the wasm heap, for SIMD paths that need them. */
export interface WasmHeap {
  malloc(bytes: number): number;
  free(ptr: number): void;
  f32(ptr: number, length: number): Float32Array;
  i32(ptr: number, length: number): Int32Array;
}

/** A kernel body: outputs(...) sizes the outputs, compute(...) fills them from the inputs. */
export interface JsKernelDef<Attrs> {
  kernelName: string;
  /** The runKernel input names, in the order compute() receives their arrays. */
  inputNames: string[];
  /** A kernel over any number of tensors: after inputNames come the inputs x0, x1, ... (variadicName). */
  variadic?: boolean;
  outputs(inputs: TensorInfo[], attrs: Attrs): OutputSpec[];
  compute(inputs: HostArray[], outputs: HostArray[], infos: TensorInfo[], attrs: Attrs): void;
  /** wasm only: fill the outputs with SIMD code and return true, or return false for compute(). */
  wasmSimd?(call: SimdCall<Attrs>): boolean;
}

/** Backends a JS kernel can be registered for. */
export type JsKernelBackend = 'wasm' | 'cpu';

/** The inputs in the order compute() receives them: inputNames, then x0, x1, ... for a variadic kernel. */
function inputInfos(def: JsKernelDef<unknown>, inputs: Record<string, TensorInfo>): TensorInfo[] {
  const infos = def.inputNames.map((n) => inputs[n]);
  if (def.variadic) for (let i = 0; variadicName(i) in inputs; i++) infos.push(inputs[variadicName(i)]);
  return infos;
}

/** The parts of BackendWasm used here. */
interface WasmBackendInternals {
  makeOutput(shape: number[], dtype: 'float32' | 'int32'): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): HostArray;
  dataIdMap: { get(dataId: object): { memoryOffset: number } };
  wasm: {
    asm?: { memory?: WebAssembly.Memory };
    wasmMemory?: WebAssembly.Memory;
    HEAPU8: Uint8Array;
    _malloc(bytes: number): number;
    _free(ptr: number): void;
  };
}

// One instance of the SIMD kernels per wasm module (a backend re-initialisation brings a new heap).
const simdInstances = new WeakMap<object, { simd: SimdExports; heap: WasmHeap } | null>();

function simdFor(backend: WasmBackendInternals): { simd: SimdExports; heap: WasmHeap } | null {
  let entry = simdInstances.get(backend.wasm);
  if (entry === undefined) {
    const wasm = backend.wasm;
    const memory = wasm.asm?.memory ?? wasm.wasmMemory;
    entry = null;
    if (memory instanceof WebAssembly.Memory) {
      try {
        const heap: WasmHeap = {
          malloc: (bytes) => wasm._malloc(bytes),
          free: (ptr) => wasm._free(ptr),
          f32: (ptr, length) => new Float32Array(wasm.HEAPU8.buffer, ptr, length),
          i32: (ptr, length) => new Int32Array(wasm.HEAPU8.buffer, ptr, length),
        };
        entry = { simd: instantiateSimdKernels(memory), heap };
      } catch {
        entry = null; // no SIMD in this engine: the scalar loops run instead
      }
    }
    simdInstances.set(wasm, entry);
  }
  return entry;
}

/** The parts of MathBackendCPU used here. */
interface CpuBackendInternals {
  data: { get(dataId: object): { values: HostArray } };
  makeTensorInfo(shape: number[], dtype: 'float32' | 'int32', values: HostArray): TensorInfo;
}

interface KernelArgs<Attrs> {
  inputs: Record<string, TensorInfo>;
  backend: unknown;
  attrs: Attrs;
}

function wasmKernel<Attrs>(def: JsKernelDef<Attrs>): KernelFunc {
  return ((args: KernelArgs<Attrs>) => {
    const backend = args.backend as WasmBackendInternals;
    const infos = inputInfos(def as JsKernelDef<unknown>, args.inputs);
    const outs = def.outputs(infos, args.attrs).map((s) => backend.makeOutput(s.shape, s.dtype));
    const simd = def.wasmSimd ? simdFor(backend) : null;
    if (simd) {
      const offset = (t: TensorInfo) => backend.dataIdMap.get(t.dataId).memoryOffset;
      const call = { ...simd, inputs: infos.map(offset), outputs: outs.map(offset), infos, attrs: args.attrs };
      if (def.wasmSimd!(call)) return outs.length === 1 ? outs[0] : outs;
    }
    // Views are taken after every allocation: allocating may grow the heap and detach older views.
    def.compute(
      infos.map((t) => backend.typedArrayFromHeap(t)),
      outs.map((t) => backend.typedArrayFromHeap(t)),
      infos,
      args.attrs,
    );
    return outs.length === 1 ? outs[0] : outs;
  }) as unknown as KernelFunc;
}

function cpuKernel<Attrs>(def: JsKernelDef<Attrs>): KernelFunc {
  return ((args: KernelArgs<Attrs>) => {
    const backend = args.backend as CpuBackendInternals;
    const infos = inputInfos(def as JsKernelDef<unknown>, args.inputs);
    const specs = def.outputs(infos, args.attrs);
    const arrays = specs.map((s) => (s.dtype === 'int32' ? new Int32Array(util.sizeFromShape(s.shape)) : new Float32Array(util.sizeFromShape(s.shape))));
    def.compute(
      infos.map((t) => backend.data.get(t.dataId).values),
      arrays,
      infos,
      args.attrs,
    );
    const outs = specs.map((s, i) => backend.makeTensorInfo(s.shape, s.dtype, arrays[i]));
    return outs.length === 1 ? outs[0] : outs;
  }) as unknown as KernelFunc;
}

/**
 * Kernel configs of `def` for the given backends (wasm and cpu by default), for register.ts.
 * On wasm, give the def a wasmSimd path: plain JS loops lose to tfjs-backend-wasm's own SIMD
 * kernels there (bench/OPTIMIZATIONS.md), so they should only cover the shapes SIMD cannot take.
 * @example
 *   const configs = jsKernelConfigs(fusedAdamUpdateDef); // [{ kernelName, backendName: 'wasm', ... }, { ... 'cpu' }]
 */
export function jsKernelConfigs<Attrs>(def: JsKernelDef<Attrs>, backends: JsKernelBackend[] = ['wasm', 'cpu']): KernelConfig[] {
  return backends.map((backendName) => ({
    kernelName: def.kernelName,
    backendName,
    kernelFunc: backendName === 'wasm' ? wasmKernel(def) : cpuKernel(def),
  }));
}
