// A native single-precision GEMM that the wasm backend's matmuls can hand their work to.
// Why: tfjs-backend-wasm multiplies with XNNPACK on 128-bit wasm SIMD (~20-23 GFLOP/s on the
// reference machine), while a native BLAS with AVX2/AVX-512 kernels reaches ~150 GFLOP/s on the
// same core; matmuls are ~80% of a training step (bench/OPTIMIZATIONS.md). wasm tensors live in
// host memory, so the BLAS can read and write them in place, without copies.
// Browser-safe: this module only holds the function; engine/node/blas.ts installs one in Node.

/** C[M, N] = op(A) @ op(B), row-major float32, op = transpose when the flag is set. */
export interface NativeGemm {
  sgemm(transposeA: boolean, transposeB: boolean, M: number, N: number, K: number, a: Float32Array, b: Float32Array, c: Float32Array): void;
  /** What runs the products, for run events and the bench, e.g. "OpenBLAS 0.3.21 SkylakeX, 1 thread". */
  readonly describe: string;
  /** Threads per product from now on, where the library lets us choose (process-wide). */
  setThreads?(threads: number): void;
}

let current: NativeGemm | undefined;

/** Installs (or, with undefined, removes) the native GEMM used by the wasm BatchMatMul kernel. */
export function setNativeGemm(gemm: NativeGemm | undefined): void {
  current = gemm;
}

/** The installed native GEMM, if any. */
export function nativeGemm(): NativeGemm | undefined {
  return current;
}

/** The native GEMM when `backend` (a tfjs backend name) uses it: only wasm does. */
export function nativeGemmFor(backend: string): NativeGemm | undefined {
  return backend === 'wasm' ? current : undefined;
}
