// Kernels written once as plain loops over typed arrays and registered for the backends whose
// tensors live in host memory: wasm (views of the wasm heap) and cpu (the backend's own arrays).
// Why: one pass instead of a chain of stock kernels saves the intermediate tensors, their memory
// traffic and tfjs's per-kernel overhead. V8 runs such loops at ~1-8 ns per element (scalar code),
// so on wasm they win where the stock kernel is slow (gathers, transposes, row reductions, small
// tensors) and lose to long chains of its SIMD elementwise kernels; on cpu they always win.
// GPU backends have no such kernel; the ops fall back to their composed form there.
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';

export type HostArray = Float32Array | Int32Array;

/** Shape and dtype of one output. */
export interface OutputSpec {
  shape: number[];
  dtype: 'float32' | 'int32';
}

/** A kernel body: outputs(...) sizes the outputs, compute(...) fills them from the inputs. */
export interface JsKernelDef<Attrs> {
  kernelName: string;
  /** The runKernel input names, in the order compute() receives their arrays. */
  inputNames: string[];
  outputs(inputs: TensorInfo[], attrs: Attrs): OutputSpec[];
  compute(inputs: HostArray[], outputs: HostArray[], infos: TensorInfo[], attrs: Attrs): void;
}

/** Backends a JS kernel can be registered for. */
export type JsKernelBackend = 'wasm' | 'cpu';

const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** The parts of BackendWasm used here. */
interface WasmBackendInternals {
  makeOutput(shape: number[], dtype: 'float32' | 'int32'): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): HostArray;
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
    const infos = def.inputNames.map((n) => args.inputs[n]);
    const outs = def.outputs(infos, args.attrs).map((s) => backend.makeOutput(s.shape, s.dtype));
    // Views are taken after every allocation: allocating may grow the heap and detach older views.
    def.compute(infos.map((t) => backend.typedArrayFromHeap(t)), outs.map((t) => backend.typedArrayFromHeap(t)), infos, args.attrs);
    return outs.length === 1 ? outs[0] : outs;
  }) as unknown as KernelFunc;
}

function cpuKernel<Attrs>(def: JsKernelDef<Attrs>): KernelFunc {
  return ((args: KernelArgs<Attrs>) => {
    const backend = args.backend as CpuBackendInternals;
    const infos = def.inputNames.map((n) => args.inputs[n]);
    const specs = def.outputs(infos, args.attrs);
    const arrays = specs.map((s) => (s.dtype === 'int32' ? new Int32Array(sizeOf(s.shape)) : new Float32Array(sizeOf(s.shape))));
    def.compute(infos.map((t) => backend.data.get(t.dataId).values), arrays, infos, args.attrs);
    const outs = specs.map((s, i) => backend.makeTensorInfo(s.shape, s.dtype, arrays[i]));
    return outs.length === 1 ? outs[0] : outs;
  }) as unknown as KernelFunc;
}

/**
 * Kernel configs of `def` for the given backends (both by default), for register.ts.
 * Register a kernel only where it beats the stock ops: tfjs-backend-wasm's elementwise kernels
 * are SIMD (~1 ns per element and pass), so a JS loop with divisions or square roots can lose to a
 * chain of a dozen of them there, while on cpu (plain JS per op) fusing always wins.
 * @example
 *   const configs = jsKernelConfigs(fusedAdamUpdateDef, ['cpu']); // [{ kernelName, backendName: 'cpu', kernelFunc }]
 */
export function jsKernelConfigs<Attrs>(def: JsKernelDef<Attrs>, backends: JsKernelBackend[] = ['wasm', 'cpu']): KernelConfig[] {
  return backends.map((backendName) => ({
    kernelName: def.kernelName, backendName, kernelFunc: backendName === 'wasm' ? wasmKernel(def) : cpuKernel(def),
  }));
}
