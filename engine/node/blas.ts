// A native BLAS for the wasm backend's matmuls in Node (see ../tf/nativeGemm.ts for why), called through
// the `koffi` FFI package (an optional dependency whose prebuilt binary ships inside the package).
// koffi is loaded with a dynamic import of a variable specifier, so without it the reason is reported.
//
// Environment:
//   PRETRAIN_BLAS          "off" to keep XNNPACK; or the BLAS library to load (default: OpenBLAS,
//                          libopenblas.so.0 / libopenblas.so / libopenblas.dylib); any library with
//                          the CBLAS interface works.
//   PRETRAIN_BLAS_THREADS  threads per product. Default: chosen per run by the model's size
//                          (engine/node/blas-threads.ts), 1 until then. OpenBLAS only.
// OpenBLAS picks its kernels from the CPU's name, and falls back to slow SSE3 ones on CPUs it does
// not know by name (common in VMs). OPENBLAS_CORETYPE, when set, decides; else OpenBLAS's own
// choice stands unless it is narrower than the CPU's feature flags allow (blas-core.ts).
import { chooseOpenBlasCore, type CoreChoice, detectedOpenBlasCore } from './blas-core';
import type { NativeGemm } from '../tf/nativeGemm';

type Env = Record<string, string | undefined>;
type BuiltinLoader = (id: string) => unknown;

interface KoffiLib {
  func(signature: string): (...args: unknown[]) => unknown;
}
interface Koffi {
  load(path: string): KoffiLib;
}

const CBLAS_ROW_MAJOR = 101;
const CBLAS_NO_TRANS = 111;
const CBLAS_TRANS = 112;

/** The libraries tried when PRETRAIN_BLAS names none. */
export const DEFAULT_BLAS_LIBRARIES = ['libopenblas.so.0', 'libopenblas.so', 'libopenblas.dylib'];

/**
 * OPENBLAS_CORETYPE for a CPU with these /proc/cpuinfo flags, or undefined to let OpenBLAS decide.
 * @example
 *   openBlasCoreType('fpu sse avx2 fma avx512f avx512dq avx512bw avx512vl avx512cd') // 'SkylakeX'
 */
export function openBlasCoreType(flags: string): string | undefined {
  const has = new Set(flags.split(/\s+/));
  if (['avx512f', 'avx512cd', 'avx512bw', 'avx512dq', 'avx512vl'].every((f) => has.has(f))) return 'SkylakeX';
  if (['avx2', 'fma'].every((f) => has.has(f))) return 'Haswell';
  return undefined;
}

function nodeProcess(): { env: Env; platform: string; getBuiltinModule?: BuiltinLoader } | undefined {
  const proc = (globalThis as { process?: { versions?: { node?: string }; env: Env; platform: string; getBuiltinModule?: BuiltinLoader } }).process;
  return proc?.versions?.node ? proc : undefined;
}

/** The OpenBLAS kernel set this machine's CPU flags (/proc/cpuinfo) allow, in Node; else undefined. */
export function tunedOpenBlasCoreType(): string | undefined {
  try {
    const fs = nodeProcess()?.getBuiltinModule?.('node:fs') as { readFileSync(path: string, enc: string): string } | undefined;
    const info = fs?.readFileSync('/proc/cpuinfo', 'utf8') ?? '';
    return openBlasCoreType(/^flags\s*:(.*)$/m.exec(info)?.[1] ?? '');
  } catch {
    return undefined;
  }
}

/** Threads asked for through PRETRAIN_BLAS_THREADS, when it holds a whole number >= 1. */
export function askedBlasThreads(env: Env): number | undefined {
  const n = Number(env.PRETRAIN_BLAS_THREADS);
  return env.PRETRAIN_BLAS_THREADS && Number.isInteger(n) && n >= 1 ? n : undefined;
}

let installed: Promise<NativeGemm | undefined> | undefined;

/**
 * Loads the native BLAS once per process. Resolves to the GEMM, or to undefined outside Node,
 * with PRETRAIN_BLAS=off, or when koffi or the library cannot be loaded (`reason` says why).
 * @example
 *   const gemm = await loadNodeBlas(); // gemm?.describe: "OpenBLAS 0.3.21 SkylakeX, 1 thread"
 */
export function loadNodeBlas(): Promise<NativeGemm | undefined> {
  installed ??= load();
  return installed;
}

let reason = '';

/** Why loadNodeBlas resolved to undefined ('' when it loaded or was not tried). */
export function nodeBlasUnavailableReason(): string {
  return reason;
}

async function load(): Promise<NativeGemm | undefined> {
  const proc = nodeProcess();
  if (!proc) return undefined;
  const choice = proc.env.PRETRAIN_BLAS?.trim();
  if (choice === 'off') {
    reason = 'PRETRAIN_BLAS=off';
    return undefined;
  }
  let koffi: Koffi;
  try {
    const spec = 'koffi';
    const mod = (await import(/* webpackIgnore: true */ spec)) as { default?: Koffi } & Koffi;
    koffi = mod.default ?? mod;
  } catch (err) {
    reason = `the optional package koffi could not be loaded (${String(err)})`;
    return undefined;
  }
  const threads = askedBlasThreads(proc.env) ?? 1;
  // A worker thread's process.env is its own copy, so the C environment is set through libc.
  const setenv = proc.platform === 'linux' ? libcSetenv(koffi) : undefined;
  const core = coreChoice(proc, choice);
  if (core.coreType) setenv?.('OPENBLAS_CORETYPE', core.coreType);
  setenv?.('OPENBLAS_NUM_THREADS', String(threads));

  const tried: string[] = [];
  for (const path of choice ? [choice] : DEFAULT_BLAS_LIBRARIES) {
    let lib: KoffiLib;
    let sgemm: (...args: unknown[]) => unknown;
    try {
      lib = koffi.load(path);
      sgemm = lib.func(
        'void cblas_sgemm(int order, int transA, int transB, int M, int N, int K, float alpha, ' +
          'const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc)',
      );
    } catch (err) {
      tried.push(`${path}: ${String(err)}`);
      continue;
    }
    const openblas = openBlasControls(lib);
    let current = threads;
    openblas?.setThreads(current);
    return {
      get describe() {
        return openblas ? `OpenBLAS ${openblas.version} ${openblas.core} (${core.source}), ${current} thread${current === 1 ? '' : 's'}` : path;
      },
      ...(openblas
        ? {
            setThreads(n: number) {
              current = Math.max(1, Math.floor(n));
              openblas.setThreads(current);
            },
          }
        : {}),
      sgemm(transposeA, transposeB, M, N, K, a, b, c) {
        // Row-major: A is [M, K] ([K, M] when transposed), B is [K, N] ([N, K] when transposed).
        sgemm(
          CBLAS_ROW_MAJOR,
          transposeA ? CBLAS_TRANS : CBLAS_NO_TRANS,
          transposeB ? CBLAS_TRANS : CBLAS_NO_TRANS,
          M,
          N,
          K,
          1,
          a,
          transposeA ? M : K,
          b,
          transposeB ? K : N,
          0,
          c,
          N,
        );
      },
    };
  }
  reason = `no BLAS library could be loaded (${tried.join('; ')})`;
  return undefined;
}

/** The kernel set to load: OPENBLAS_CORETYPE, else OpenBLAS's detection unless the CPU flags allow wider. */
function coreChoice(proc: { env: Env; getBuiltinModule?: BuiltinLoader }, library: string | undefined): CoreChoice {
  let detected: string | undefined;
  if (!proc.env.OPENBLAS_CORETYPE?.trim()) {
    try {
      const moduleApi = proc.getBuiltinModule?.('node:module') as { createRequire(url: string): { resolve(id: string): string } } | undefined;
      const koffiPath = moduleApi?.createRequire(import.meta.url).resolve('koffi');
      if (koffiPath) detected = detectedOpenBlasCore(koffiPath, library ? [library] : DEFAULT_BLAS_LIBRARIES);
    } catch {
      detected = undefined; // cannot ask: the flags decide
    }
  }
  return chooseOpenBlasCore(proc.env, detected, tunedOpenBlasCoreType());
}

function libcSetenv(koffi: Koffi): ((name: string, value: string) => void) | undefined {
  try {
    const setenv = koffi.load('libc.so.6').func('int setenv(const char *name, const char *value, int overwrite)');
    return (name, value) => void setenv(name, value, 1);
  } catch {
    return undefined;
  }
}

/** OpenBLAS's version, kernel set and thread control; undefined for other BLAS libraries. */
function openBlasControls(lib: KoffiLib): { version: string; core: string; setThreads(n: number): void } | undefined {
  try {
    const config = String(lib.func('const char *openblas_get_config()')());
    const core = String(lib.func('const char *openblas_get_corename()')());
    const setThreads = lib.func('void openblas_set_num_threads(int n)');
    return { version: /OpenBLAS\s+(\S+)/.exec(config)?.[1] ?? '?', core, setThreads: (n) => void setThreads(n) };
  } catch {
    return undefined; // not OpenBLAS
  }
}
