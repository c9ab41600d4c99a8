// `npm run gpu:pack`: `npm run gpu:check` as one folder that runs on a GPU machine with PyTorch and
// no Node.js or npm (many ML images): this Node binary, the check and the WebGPU row's worker
// bundled into plain JavaScript (esbuild), the Python benches they start, and the `webgpu`
// package's Dawn binary for this platform. Copy it over, run `./gpu-check.sh` in it (same options
// as gpu:check) and bring back its `bench/gpu-results.json`.
//
// Usage: npm run gpu:pack [-- --out DIR] [--archive]
//   --out DIR   where the folder goes (default: gpu-pack/, git-ignored); emptied first
//   --archive   also writes DIR.tar.xz (about 30 MB) beside it, for copying
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Bundle entries: source (from the repo root) -> file in the pack. */
const ENTRIES: [string, string][] = [
  ['bench/gpu-check.ts', 'bench/gpu-check.mjs'],
  ['bench/gpu-pack-worker.ts', 'bench/engine-worker.mjs'],
];

/** Files the bundles read or start at run time, at the same place in the pack. */
const FILES = ['bench/torch_bench.py', 'bench/plain_gpt.py'];

const RUN_SCRIPT = `#!/bin/sh
# gpu:check from this folder, with the Node.js binary beside it. Options as npm run gpu:check's.
cd "$(dirname "$0")" && exec ./node bench/gpu-check.mjs "$@"
`;

/**
 * Writes the pack into `out` (emptied first) and returns the files it wrote, relative to `out`.
 * @example
 *   await writeGpuPack('/tmp/pack'); // then /tmp/pack/gpu-check.sh --device cpu --out r.json
 */
export async function writeGpuPack(out: string): Promise<string[]> {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'bench'), { recursive: true });
  for (const [source, target] of ENTRIES) {
    await build({
      entryPoints: [join(ROOT, source)],
      outfile: join(out, target),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      // Dawn's binary is loaded from the copy below; koffi (OpenBLAS) is never used by the check.
      external: ['webgpu', 'koffi'],
      // tfjs's packages mark their registering imports side-effect free; keep them.
      ignoreAnnotations: true,
      // tfjs's CommonJS builds require Node's built-ins, which an ES module bundle has no `require` for.
      banner: { js: "import { createRequire as createPackRequire } from 'node:module'; const require = createPackRequire(import.meta.url);" },
      logLevel: 'error',
    });
  }
  const written = ENTRIES.map(([, target]) => target);
  for (const file of [...FILES, 'engine/node/tfjs-core-esm-hooks.mjs']) {
    // The hooks module is registered by path from beside the code that imports tfjs (engine/node/tfjs.ts).
    const target = file.startsWith('bench/') ? file : join('bench', basename(file));
    copyFileSync(join(ROOT, file), join(out, target));
    written.push(target);
  }
  written.push(...copyDawn(out));
  copyFileSync(process.execPath, join(out, 'node'));
  writeFileSync(join(out, 'gpu-check.sh'), RUN_SCRIPT);
  chmodSync(join(out, 'gpu-check.sh'), 0o755);
  return [...written, 'node', 'gpu-check.sh'];
}

/** The `webgpu` package's loader and this platform's Dawn binary, as node_modules/webgpu. */
function copyDawn(out: string): string[] {
  const from = join(ROOT, 'node_modules', 'webgpu');
  const to = join(out, 'node_modules', 'webgpu');
  const platform = `${process.platform}-${process.platform === 'darwin' ? 'universal' : process.arch}`;
  mkdirSync(to, { recursive: true });
  for (const f of ['index.js', 'package.json', 'LICENSE.md']) copyFileSync(join(from, f), join(to, f));
  cpSync(join(from, 'dist', platform), join(to, 'dist', platform), { recursive: true });
  return ['index.js', 'package.json', 'LICENSE.md', `dist/${platform}`].map((f) => `node_modules/webgpu/${f}`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string', default: join(ROOT, 'gpu-pack') }, archive: { type: 'boolean', default: false } } });
  const out = resolve(values.out!);
  const files = await writeGpuPack(out);
  console.log(`gpu:pack: wrote ${out} (${files.length} entries); on the GPU machine: ./gpu-check.sh [gpu:check options]`);
  if (values.archive) {
    const archive = `${out}.tar.xz`;
    const r = spawnSync('tar', ['-cJf', archive, '-C', dirname(out), basename(out)], { stdio: 'inherit', env: { ...process.env, XZ_OPT: '-T0' } });
    if (r.status !== 0) throw new Error(`tar failed (exit ${r.status})`);
    console.log(`gpu:pack: wrote ${archive}; unpack with tar -xJf ${basename(archive)}`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: Error) => {
    console.error(`gpu:pack: ${err.message}`);
    process.exit(2);
  });
}
