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

/** dependency-cruiser with the repo's rules (`config`) over `folders` of the scratch tree: the rules broken. */
function brokenRules(folders: string[], config = '.dependency-cruiser.cjs'): string[] {
  const result = spawnSync(join(ROOT, 'node_modules/.bin/depcruise'), ['--config', join(ROOT, config), '--output-type', 'json', ...folders], {
    cwd: tree,
    encoding: 'utf8',
  });
  const report = JSON.parse(result.stdout) as { summary: { violations: { rule: { name: string }; from: string; to: string }[] } };
  return report.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`).sort();
}

/** tsc over `include` with the repo's tsconfig for a layer; the error codes and names it reports. */
function typeErrors(layerConfig: string, include: string[]): string {
  const config = { extends: join(ROOT, layerConfig), compilerOptions: { typeRoots: [join(ROOT, 'node_modules/@types')] }, include, exclude: [] };
  writeFileSync(join(tree, 'tsconfig.check.json'), JSON.stringify(config));
  const result = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', 'tsconfig.check.json'], {
    cwd: tree,
    encoding: 'utf8',
  });
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
  // What the studio's pages load, however many imports away (.dependency-cruiser.pages.cjs): each
  // component below imports only what the direct rules allow (definitions, types), yet reaches more.
  'engine/nodes/model.ts': "import { Gpt } from '../model/gpt';\nexport const model = { kind: 'model', build: () => new Gpt() };\n",
  'engine/nodes/runnable.ts': "import { clipImplementation } from '../runtime/kinds/clip';\nexport const runnable = clipImplementation;\n",
  'components/ModelBadge.tsx': "import { model } from '../engine/nodes/model';\nexport const ModelBadge = model;\n",
  'components/Lazy.tsx': "import { runnable } from '../engine/nodes/runnable';\nexport default runnable;\n",
  'components/TypesOnly.tsx': "import type { Gpt } from '../engine/model/gpt';\nexport const t = (g: Gpt) => g;\n",
  'app/page.tsx': "import { ModelBadge } from '../components/ModelBadge';\nexport default ModelBadge;\n",
  'app/runs/page.tsx': "export const lazy = () => import('../../components/Lazy');\n",
  'app/compare/page.tsx':
    "import { t } from '../../components/TypesOnly';\nexport const worker = () => new Worker(new URL('../../engine/model/gpt.ts', import.meta.url));\nexport default t;\n",
  'app/tensors/page.tsx': "import * as tf from '@tensorflow/tfjs-core';\nexport default tf;\n",
});

test('dependency-cruiser: the engine core imports no Node module, no adapter and no loop; the studio no server, Node or implementation', () => {
  assert.deepEqual(brokenRules(['engine', 'server', 'components', 'lib']), [
    'definitions-no-tfjs: engine/nodes/runnable.ts -> engine/runtime/kinds/clip.ts', // a definition importing an implementation
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

test('dependency-cruiser: no page reaches tfjs, a node-kind implementation or the GPT, through any chain of imports or import()', () => {
  // The badge reaches gpt.ts through a node definition; Lazy comes through import(). A type-only
  // import loads nothing, and the worker (new Worker(new URL(...))) is no import: compare/page.tsx passes.
  assert.deepEqual(brokenRules(['app'], '.dependency-cruiser.pages.cjs'), [
    'pages-load-no-tfjs: app/page.tsx -> engine/model/gpt.ts',
    'pages-load-no-tfjs: app/runs/page.tsx -> engine/runtime/kinds/clip.ts',
    'pages-load-no-tfjs: app/tensors/page.tsx -> @tensorflow/tfjs-core',
  ]);
});

test('eslint: the @tensorflow/tfjs bundle is not imported, tfjs-core is', () => {
  write({
    'engine/uses-bundle.ts': "import * as tf from '@tensorflow/tfjs';\nimport * as core from '@tensorflow/tfjs-core';\nexport const both = [tf, core];\n",
  });
  const result = spawnSync(join(ROOT, 'node_modules/.bin/eslint'), ['--config', join(ROOT, 'eslint.config.js'), '--format', 'json', 'engine/uses-bundle.ts'], {
    cwd: tree,
    encoding: 'utf8',
  });
  const [file] = JSON.parse(result.stdout) as { messages: { line: number; ruleId: string }[] }[];
  assert.deepEqual(
    file.messages.map((m) => `${m.line}: ${m.ruleId}`),
    ['1: no-restricted-imports'],
  );
});

test('tsc: the engine has neither Node nor DOM globals; the server has Node but no DOM', () => {
  const engine = typeErrors('tsconfig.engine.json', ['engine/uses-process.ts', 'engine/uses-document.ts']);
  assert.match(engine, /uses-process\.ts.*Cannot find name 'process'/);
  assert.match(engine, /uses-document\.ts.*Cannot find name 'document'/);
  const server = typeErrors('tsconfig.server.json', ['engine/uses-process.ts', 'engine/uses-document.ts']);
  assert.doesNotMatch(server, /uses-process\.ts/);
  assert.match(server, /uses-document\.ts.*Cannot find name 'document'/);
});
