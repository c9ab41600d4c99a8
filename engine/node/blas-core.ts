// Which OpenBLAS kernel set ("core") the node executor's matmuls use (blas.ts), in order:
//   1. OPENBLAS_CORETYPE, when the user (or the environment, as in CI) sets it;
//   2. what OpenBLAS detects from the CPU, when that is as wide as the CPU's features allow;
//   3. the best verified set for the CPU's /proc/cpuinfo flags (SkylakeX for AVX-512, Haswell for
//      AVX2) when detection falls back to older kernels, as it can in VMs whose CPU it does not
//      know. "Verified": blas-core.test.ts trains with these kernels and the default ones and
//      compares the losses.
// OpenBLAS reads OPENBLAS_CORETYPE once, when it loads, so its own detection is asked of a short
// child process before the library is loaded here. Browser-safe: Node modules come from
// process.getBuiltinModule, and only in Node.

type Env = Record<string, string | undefined>;

/** Kernel sets by the widest instructions they use: 4 AVX-512, 3 AVX2, 2 AVX; any other is older. */
const KERNEL_WIDTH: Record<string, number> = {
  skylakex: 4,
  cooperlake: 4,
  sapphirerapids: 4,
  haswell: 3,
  zen: 3,
  sandybridge: 2,
  bulldozer: 2,
  piledriver: 2,
  steamroller: 2,
  excavator: 2,
};

const widthOf = (core: string | undefined) => (core ? (KERNEL_WIDTH[core.toLowerCase()] ?? 1) : 0);

export interface CoreChoice {
  /** The value to give OPENBLAS_CORETYPE before loading, or undefined to let OpenBLAS detect. */
  coreType?: string;
  source: 'OPENBLAS_CORETYPE' | 'detected' | 'cpu flags' | 'OpenBLAS default';
}

/**
 * The kernel set to load, from the environment, OpenBLAS's own detection and the flags' best set.
 * @example
 *   chooseOpenBlasCore({}, 'Prescott', 'SkylakeX');               // { coreType: 'SkylakeX', source: 'cpu flags' }
 *   chooseOpenBlasCore({}, 'Cooperlake', 'SkylakeX');             // { source: 'detected' }
 *   chooseOpenBlasCore({ OPENBLAS_CORETYPE: 'Haswell' }, 'Cooperlake', 'SkylakeX'); // { coreType: 'Haswell', ... }
 */
export function chooseOpenBlasCore(env: Env, detected: string | undefined, flagsCore: string | undefined): CoreChoice {
  const asked = env.OPENBLAS_CORETYPE?.trim();
  if (asked) return { coreType: asked, source: 'OPENBLAS_CORETYPE' };
  if (detected && widthOf(detected) >= widthOf(flagsCore)) return { source: 'detected' };
  if (flagsCore) return { coreType: flagsCore, source: 'cpu flags' };
  return { source: 'OpenBLAS default' };
}

type BuiltinLoader = (id: string) => unknown;
interface SpawnSync {
  spawnSync(cmd: string, args: string[], options: Record<string, unknown>): { status: number | null; stdout?: string };
}

/**
 * The kernel set OpenBLAS picks by itself on this machine (OPENBLAS_CORETYPE removed), asked of a
 * child Node process through koffi; undefined when that cannot be found out.
 * @example
 *   detectedOpenBlasCore('/app/node_modules/koffi/index.js', ['libopenblas.so.0']); // 'Cooperlake'
 */
export function detectedOpenBlasCore(koffiPath: string, libraries: string[]): string | undefined {
  const proc = (globalThis as { process?: { execPath: string; env: Env; getBuiltinModule?: BuiltinLoader } }).process;
  const childProcess = proc?.getBuiltinModule?.('node:child_process') as SpawnSync | undefined;
  if (!proc || !childProcess) return undefined;
  const script = [
    `const koffi = require(${JSON.stringify(koffiPath)});`,
    `for (const path of ${JSON.stringify(libraries)}) {`,
    '  try { console.log(String(koffi.load(path).func("const char *openblas_get_corename()")())); break; } catch {}',
    '}',
  ].join('\n');
  const env: Env = { ...proc.env, OPENBLAS_NUM_THREADS: '1' };
  delete env.OPENBLAS_CORETYPE;
  const r = childProcess.spawnSync(proc.execPath, ['-e', script], { env, encoding: 'utf8', timeout: 15_000 });
  const core = r.status === 0 ? r.stdout?.trim() : undefined;
  return core && /^[A-Za-z0-9_]+$/.test(core) ? core : undefined;
}
