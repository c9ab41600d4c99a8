// Every node kind: declared ports are valid, params parse with defaults, metadata is complete,
// and the generated reference (docs/nodes.md) is current.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { nodeReference } from '../../scripts/node-docs';
import { PORT_TYPES } from '../ports';
import { CATEGORIES } from './define';
import { NODE_KINDS, registry } from './index';
import { createRegistry } from './registry';
import { implementationsFor } from '../runtime/kinds';

test('the loop needs these kinds, and each lives in a file named after it', () => {
  const kinds = NODE_KINDS.map((d) => d.kind).sort();
  assert.deepEqual(kinds, ['backward', 'checkpoint', 'clip', 'dataset', 'eval', 'get_batch', 'log', 'loss', 'model', 'optimizer', 'sample', 'scheduler']);
  for (const kind of kinds) assert.ok(existsSync(new URL(`./${kind}.ts`, import.meta.url)), `${kind}.ts`);
  for (const kind of kinds) assert.ok(existsSync(new URL(`../runtime/kinds/${kind}.ts`, import.meta.url)), `runtime/kinds/${kind}.ts`);
});

/** Every module `entry` loads at run time (type-only imports load nothing), as repo paths or package names. */
function runtimeImports(entry: string, seen = new Set<string>()): Set<string> {
  if (seen.has(entry)) return seen;
  seen.add(entry);
  if (!entry.startsWith('/')) return seen; // a package
  const source = readFileSync(entry, 'utf8');
  for (const [, spec] of source.matchAll(/^import (?!type )[^'"]*?['"]([^'"]+)['"]/gm)) {
    if (!spec.startsWith('.')) seen.add(spec);
    else {
      const base = join(dirname(entry), spec);
      runtimeImports([`${base}.ts`, join(base, 'index.ts')].find((f) => existsSync(f)) ?? base, seen);
    }
  }
  return seen;
}

test('the definitions the canvas imports load no tfjs; the implementations do', () => {
  const definitions = [...runtimeImports(new URL('./index.ts', import.meta.url).pathname)];
  assert.deepEqual(
    definitions.filter((m) => m.includes('@tensorflow')),
    [],
  );
  const implementations = [...runtimeImports(new URL('../runtime/kinds/index.ts', import.meta.url).pathname)];
  assert.ok(
    implementations.some((m) => m.startsWith('@tensorflow/')),
    'the implementations are where tfjs comes in',
  );
});

test('each declared kind has exactly one implementation', () => {
  assert.deepEqual([...implementationsFor(registry).keys()].sort(), [...registry.keys()].sort());
  const [first, ...rest] = [...implementationsFor(registry).values()];
  assert.throws(() => implementationsFor(registry, rest), new RegExp(`node kind '${first.kind}' is declared but not implemented`));
  assert.throws(() => implementationsFor(registry, [first, first, ...rest]), /implemented twice/);
  assert.throws(() => implementationsFor(createRegistry(NODE_KINDS.slice(1)), [first, ...rest]), /implemented but not declared/);
});

test('ports, categories and summaries are valid; params parse with defaults', () => {
  for (const def of NODE_KINDS) {
    assert.ok(
      CATEGORIES.some((c) => c.id === def.category),
      `${def.kind}.category`,
    );
    for (const [name, p] of Object.entries({ ...def.inputs, ...def.outputs })) {
      assert.ok(p.type in PORT_TYPES, `${def.kind}.${name}: ${p.type}`);
      assert.match(name, /^[a-z_]+$/);
    }
    const parsed = def.params.parse({});
    for (const key of def.summary) assert.ok(key in parsed, `${def.kind}.summary ${key}`);
    for (const [key, schema] of Object.entries(def.params.shape))
      assert.ok((schema as { description?: string }).description || false, `${def.kind}.${key} has help text`);
    assert.ok(def.description.length > 10);
  }
});

test('params reject values outside their bounds', () => {
  assert.equal(registry.get('get_batch')!.params.safeParse({ batch_size: 0 }).success, false);
  assert.equal(registry.get('clip')!.params.safeParse({ max_norm: -1 }).success, false);
  assert.equal(registry.get('optimizer')!.params.safeParse({ beta2: 1 }).success, false);
  assert.equal(registry.get('model')!.params.safeParse({ context_length: 0 }).success, false);
  assert.equal(registry.get('scheduler')!.params.safeParse({ kind: 'wsd', decay_fraction: 0.3 }).success, true);
});

test('switching the optimizer kind keeps the shared params', () => {
  const def = registry.get('optimizer')!;
  const adamw = def.params.parse({ kind: 'adamw', lr: 0.003, weight_decay: 0.05 });
  const sgd = def.params.parse({ ...adamw, kind: 'sgd' });
  assert.equal(sgd.lr, 0.003);
  assert.equal(sgd.weight_decay, 0.05);
  assert.equal(sgd.momentum, 0.9);
});

test('a duplicate kind is a bug and throws', () => {
  assert.throws(() => createRegistry([NODE_KINDS[0], NODE_KINDS[0]]), /duplicate node kind 'dataset'/);
});

test('docs/nodes.md is generated from the current registry', () => {
  const committed = readFileSync(new URL('../../docs/nodes.md', import.meta.url), 'utf8');
  assert.equal(committed, nodeReference(), 'run: npm run docs:nodes');
});
