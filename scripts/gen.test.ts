// npm run gen: the committed optimizer lists are the ones the folders make (a definition without its
// update fails here, naming it), and on a scratch tree the generator lists kinds by their files,
// skips what is no kind, refuses a kind without an update or a misnamed file, and writes text
// Prettier leaves as it is.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import * as prettier from 'prettier';
import { ROOT } from './build-if-stale';
import { GENERATED, KINDS_DIR, UPDATES_DIR, generatedFiles, staleFiles, writeGenerated } from './gen';

const tree = mkdtempSync(join(tmpdir(), 'gen-'));
after(() => rmSync(tree, { recursive: true, force: true }));

function write(files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(tree, path)), { recursive: true });
    writeFileSync(join(tree, path), text);
  }
}

write({
  [`${KINDS_DIR}/define.ts`]: '',
  [`${KINDS_DIR}/index.ts`]: '',
  [`${KINDS_DIR}/adam.ts`]: '',
  [`${KINDS_DIR}/sign_sgd.ts`]: '',
  [`${KINDS_DIR}/adam.test.ts`]: '',
  [`${KINDS_DIR}/notes.md`]: '',
  [`${UPDATES_DIR}/define.ts`]: '',
  [`${UPDATES_DIR}/adam.ts`]: '',
  [`${UPDATES_DIR}/adam-step.ts`]: '',
});

test('every optimizer definition in the repo has its update, and the committed lists are current', () => {
  assert.doesNotThrow(() => generatedFiles(ROOT));
  assert.deepEqual(staleFiles(ROOT), [], 'run npm run gen');
});

test('a kind without an update is an error naming the kind and the file to write', () => {
  assert.throws(() => generatedFiles(tree), {
    message: `optimizer kind sign_sgd (${KINDS_DIR}/sign_sgd.ts) has no update: write ${UPDATES_DIR}/sign_sgd.ts exporting signSgdUpdate`,
  });
  assert.throws(() => writeGenerated(tree), /sign_sgd/);
});

test('the lists name each kind file once, by file name, and skip tests, helpers and the shared files', () => {
  write({ [`${UPDATES_DIR}/sign_sgd.ts`]: '' });
  const [kinds, updates] = generatedFiles(tree);
  assert.equal(kinds.path, `${KINDS_DIR}/${GENERATED}`);
  assert.match(kinds.text, /^import \{ adam \} from '\.\/adam';\nimport \{ signSgd \} from '\.\/sign_sgd';\n$/m);
  assert.match(kinds.text, /= \{\n {2}adam,\n {2}sign_sgd: signSgd,\n\} as const;\n$/);
  assert.match(updates.text, /Record<OptimizerKind, OptimizerUpdate> = \{\n {2}adam: adamUpdate,\n {2}sign_sgd: signSgdUpdate,\n\};\n$/);
  const valueImports = (text: string) => [...text.matchAll(/^import \{ \w+ \} from '\.\/(.+)';$/gm)].map((m) => m[1]);
  assert.deepEqual(valueImports(kinds.text), ['adam', 'sign_sgd'], 'no define, index, test, notes or list');
  assert.deepEqual(valueImports(updates.text), ['adam', 'sign_sgd'], 'no helper (adam-step) and no define');
});

test('stale lists are reported until written; written lists read back as generated', () => {
  write({ [`${UPDATES_DIR}/sign_sgd.ts`]: '' });
  assert.deepEqual(staleFiles(tree), [`${KINDS_DIR}/${GENERATED}`, `${UPDATES_DIR}/${GENERATED}`]);
  assert.deepEqual(writeGenerated(tree), [`${KINDS_DIR}/${GENERATED}`, `${UPDATES_DIR}/${GENERATED}`]);
  assert.deepEqual(staleFiles(tree), []);
  for (const file of generatedFiles(tree)) assert.equal(readFileSync(join(tree, file.path), 'utf8'), file.text);
  unlinkSync(join(tree, KINDS_DIR, 'sign_sgd.ts'));
  unlinkSync(join(tree, UPDATES_DIR, 'sign_sgd.ts'));
  assert.deepEqual(staleFiles(tree), [`${KINDS_DIR}/${GENERATED}`, `${UPDATES_DIR}/${GENERATED}`], 'a removed kind leaves the lists stale');
  assert.deepEqual(writeGenerated(tree), [`${KINDS_DIR}/${GENERATED}`, `${UPDATES_DIR}/${GENERATED}`]);
  assert.doesNotMatch(readFileSync(join(tree, KINDS_DIR, GENERATED), 'utf8'), /sign_sgd/);
});

test('a kind file not named in snake_case is refused, naming it', () => {
  write({ [`${KINDS_DIR}/SignSGD.ts`]: '' });
  try {
    assert.throws(() => generatedFiles(tree), { message: `${KINDS_DIR}: SignSGD.ts: an optimizer kind's file is named after the kind, in snake_case` });
  } finally {
    unlinkSync(join(tree, KINDS_DIR, 'SignSGD.ts'));
  }
});

test('the generated text is as Prettier would write it (npm run lint checks the layout)', async () => {
  write({ [`${KINDS_DIR}/sign_sgd.ts`]: '', [`${UPDATES_DIR}/sign_sgd.ts`]: '' });
  const options = await prettier.resolveConfig(join(ROOT, 'package.json'));
  for (const file of [...generatedFiles(tree), ...generatedFiles(ROOT)]) {
    assert.ok(await prettier.check(file.text, { ...options, filepath: join(ROOT, file.path) }), `${file.path} is Prettier's layout`);
  }
});
