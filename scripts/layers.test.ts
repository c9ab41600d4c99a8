// The layer checks fail on real violations: dependency-cruiser with the repo's rules, and tsc with
// the repo's per-layer tsconfigs, run over a small tree of files that break them on purpose (a
// type-only import back, as gpt.ts ⇄ generate.ts, is no loop: it loads nothing).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { ROOT } from './build-if-stale';

const tree = mkdtempSync(join(tmpdir(), 'layers-'));
after(() => rmSync(tree, { recursive: true, force: true }));

function write(files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(tree, path)), { recursive: true });
    writeFileSync(join(tree, path), text);
  }
}

/** dependency-cruiser with the repo's rules over `folders` of the scratch tree: the rules broken. */
function brokenRules(folders: string[]): string[] {
  const result = spawnSync(join(ROOT, 'node_modules/.bin/depcruise'),
    ['--config', join(ROOT, '.dependency-cruiser.cjs'), '--output-type', 'json', ...folders], { cwd: tree, encoding: 'utf8' });
  const report = JSON.parse(result.stdout) as { summary: { violations: { rule: { name: string }; from: string; to: string }[] } };
  return report.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`).sort();
}

/** tsc over `include` with the repo's tsconfig for a layer; the error codes and names it reports. */
function typeErrors(layerConfig: string, include: string[]): string {
  const config = { extends: join(ROOT, layerConfig), compilerOptions: { typeRoots: [join(ROOT, 'node_modules/@types')] }, include, exclude: [] };
  writeFileSync(join(tree, 'tsconfig.check.json'), JSON.stringify(config));
  const result = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', 'tsconfig.check.json'], { cwd: tree, encoding: 'utf8' });
  return result.stdout;
}

write({
  'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'ESNext', moduleResolution: 'bundler', jsx: 'preserve' } }),
  'engine/reads-files.ts': "import { readFileSync } from 'node:fs';\nexport const read = readFileSync;\n",
  'engine/node/reads-files.ts': "import { readFileSync } from 'node:fs';\nexport const read = readFileSync;\n",
  'engine/tf/uses-adapter.ts': "import { read } from '../node/reads-files';\nexport const again = read;\n",
  'engine/runtime/kinds/clip.ts': 'export const clipImplementation = 1;\n',
  'engine/nodes/clip.ts': 'export const clip = 1;\n',
  'engine/uses-server.ts': "import { handle } from '../server/api';\nexport const h = handle;\n",
  'server/api.ts': 'export const handle = 1;\n',
  'components/Panel.tsx': "import { handle } from '../server/api';\nimport { clip } from '../engine/nodes/clip';\nexport const Panel = [handle, clip];\n",
  'components/Runner.tsx': "import { clipImplementation } from '../engine/runtime/kinds/clip';\nexport const Runner = clipImplementation;\n",
  'lib/files.ts': "import { read } from '../engine/node/reads-files';\nimport { join } from 'node:path';\nexport const f = [read, join];\n",
  'engine/tf/register.ts': "import { grad } from './grads/g';\nexport const registered = [grad];\nexport const hasKernel = () => true;\n",
  'engine/tf/grads/g.ts': "import { op } from '../ops/o';\nexport const grad = op;\n",
  'engine/tf/ops/o.ts': "import { hasKernel } from '../register';\nexport const op = hasKernel;\n",
  'engine/model/gpt.ts': "import { generate } from './generate';\nexport class Gpt {}\nexport { generate };\n",
  'engine/model/generate.ts': "import type { Gpt } from './gpt';\nexport const generate = (model: Gpt) => model;\n",
  'engine/uses-process.ts': 'export const home = process.env.HOME;\n',
  'engine/uses-document.ts': 'export const title = document.title;\n',
});

test('dependency-cruiser: the engine core imports no Node module, no adapter and no loop; the studio no server, Node or implementation', () => {
  assert.deepEqual(brokenRules(['engine', 'server', 'components', 'lib']), [
    'engine-core-no-node: engine/reads-files.ts -> fs',
    'engine-core-not-into-adapters: engine/tf/uses-adapter.ts -> engine/node/reads-files.ts',
    'engine-imports-no-layer-above: engine/uses-server.ts -> server/api.ts',
    'engine-no-import-loops: engine/tf/grads/g.ts -> engine/tf/ops/o.ts', // register -> grads -> ops -> register, reported once
    'ui-definitions-only: components/Runner.tsx -> engine/runtime/kinds/clip.ts',
    'ui-no-node-builtins: lib/files.ts -> path',
    'ui-no-node: components/Panel.tsx -> server/api.ts',
    'ui-no-node: lib/files.ts -> engine/node/reads-files.ts',
  ]);
});

test('tsc: the engine has neither Node nor DOM globals; the server has Node but no DOM', () => {
  const engine = typeErrors('tsconfig.engine.json', ['engine/uses-process.ts', 'engine/uses-document.ts']);
  assert.match(engine, /uses-process\.ts.*Cannot find name 'process'/);
  assert.match(engine, /uses-document\.ts.*Cannot find name 'document'/);
  const server = typeErrors('tsconfig.server.json', ['engine/uses-process.ts', 'engine/uses-document.ts']);
  assert.doesNotMatch(server, /uses-process\.ts/);
  assert.match(server, /uses-document\.ts.*Cannot find name 'document'/);
});
