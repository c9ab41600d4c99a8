// npm run lint: the layout (Prettier, .prettierrc; `npm run format` rewrites it), the code rules
// (ESLint, eslint.config.js), the layers' import rules (dependency-cruiser: .dependency-cruiser.cjs, and .dependency-cruiser.pages.cjs for what the
// studio's pages load however many imports away), the generated lists against the folders they list
// (scripts/gen.ts: "run npm run gen" when stale) and one type check per layer: the engine without
// DOM or Node types, the server without DOM, the studio without Node (tsconfig.<layer>.json).
// `npm test` runs it first. Usage: node --import tsx scripts/lint.ts [format|eslint|layers|generated|types]...
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './build-if-stale';

const bin = (name: string) => join(ROOT, 'node_modules', '.bin', name);

/** The layers whose folders the import rules cover, and their tsconfigs. */
export const LAYER_FOLDERS = ['engine', 'server', 'lib', 'components', 'app', 'cli'];
export const LAYER_TSCONFIGS = ['tsconfig.engine.json', 'tsconfig.server.json', 'tsconfig.ui.json'];

/** The files Prettier owns (Markdown and JSON keep their hand-written layout). */
export const FORMATTED_FILES = '**/*.{ts,tsx,js,mjs,cjs,css}';

const CHECKS: Record<string, [string, string[]][]> = {
  format: [[bin('prettier'), ['--check', FORMATTED_FILES, '--log-level', 'warn']]],
  eslint: [[bin('eslint'), ['.']]],
  layers: [
    [bin('depcruise'), ['--config', '.dependency-cruiser.cjs', '--output-type', 'err', ...LAYER_FOLDERS]],
    [bin('depcruise'), ['--config', '.dependency-cruiser.pages.cjs', '--output-type', 'err', 'app']],
  ],
  generated: [[process.execPath, ['--import', 'tsx', 'scripts/gen.ts', '--check']]],
  types: LAYER_TSCONFIGS.map((config) => [bin('tsc'), ['--noEmit', '-p', config]]),
};

/** Runs the named checks (all by default); returns the exit status (0 when every check passed). */
export function lint(names: string[] = Object.keys(CHECKS)): number {
  let status = 0;
  for (const name of names) {
    for (const [command, args] of CHECKS[name] ?? []) {
      console.log(`# lint: ${[command.replace(ROOT, ''), ...args].join(' ')}`);
      const result = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit' });
      status ||= result.status ?? 1;
    }
  }
  return status;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exit(lint(process.argv.slice(2).length ? process.argv.slice(2) : undefined));
