// Document helpers: canonical export, loading (migration, validation), ids.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { migratePipeline } from '../engine/pipeline/migrate';
import { compile } from '../engine/compiler/compile';
import { registry } from '../engine/nodes';
import {
  canonicalDocument,
  defaultParams,
  documentToText,
  edgeId,
  emptyDocument,
  fileNameFor,
  loadDocumentValue,
  parseDocumentText,
  uniqueId,
} from './document';

const seedText = readFileSync(new URL('../pipelines/seed.json', import.meta.url), 'utf8');
const templates = ['seed', 'smoke', 'adamw-vs-sgd', 'gpt2', 'llama'].map((name) => readFileSync(new URL(`../pipelines/${name}.json`, import.meta.url), 'utf8'));

/** A document's nodes brought to their kinds' current versions by each kind's own migration. */
function upgradeKinds(doc: { nodes: { type: string; version?: number; params: Record<string, unknown> }[] }) {
  for (const node of doc.nodes) {
    const def = registry.get(node.type);
    if (def?.migrate && node.version !== undefined && node.version < def.version) node.params = def.migrate(node.params, node.version);
  }
  return doc;
}

test('export -> import -> export is byte-identical for every template, and they compile', () => {
  for (const text of templates) {
    const loaded = parseDocumentText(text);
    assert.ok(loaded.ok);
    const exported = documentToText(loaded.doc);
    const again = parseDocumentText(exported);
    assert.ok(again.ok);
    assert.equal(documentToText(again.doc), exported);
    // Same content as the file (seed writes 1.0 where we write 1), up to format migrations (a
    // format-2 template's model becomes its subgraph) and node kinds' version upgrades.
    const withoutVersions = (doc: any) => ({ ...doc, nodes: doc.nodes.map(({ version, ...n }: any) => n) });
    const migrated = migratePipeline(JSON.parse(text));
    assert.ok(migrated.ok);
    assert.deepEqual(withoutVersions(JSON.parse(exported)), withoutVersions(upgradeKinds(JSON.parse(JSON.stringify(migrated.doc)))));
    assert.ok(compile(loaded.doc).ok);
  }
});

test('AdamW vs SGD: one dataset, two samplers with one seed, two of each training block', () => {
  const loaded = parseDocumentText(templates[2]);
  assert.ok(loaded.ok);
  const count = (type: string) => loaded.doc.nodes.filter((n) => n.type === type).length;
  assert.equal(count('dataset'), 1);
  for (const type of ['get_batch', 'model', 'loss', 'backward', 'optimizer']) assert.equal(count(type), 2, type);
  const seeds = loaded.doc.nodes.filter((n) => n.type === 'get_batch').map((n) => n.params.seed);
  assert.equal(seeds[0], seeds[1]);
  assert.deepEqual(
    loaded.doc.nodes
      .filter((n) => n.type === 'optimizer')
      .map((n) => n.params.kind)
      .sort(),
    ['adamw', 'sgd'],
  );
  const result = compile(loaded.doc);
  assert.ok(result.ok);
  // Each backward differentiates its own branch: one pass per sampler.
  const passes = result.plan.nodes.filter((n) => n.differentiates).map((n) => n.differentiates!.loss);
  assert.equal(passes.length, 2);
  assert.equal(passes.filter((p) => p.some((id) => id.startsWith('get_batch'))).length, 2);
});

test('canonical key order does not depend on the order keys were written in', () => {
  const doc = JSON.parse(seedText);
  const shuffled = {
    edges: doc.edges,
    nodes: doc.nodes.map((n: any) => ({
      position: n.position,
      params: Object.fromEntries(Object.entries(n.params).reverse()),
      type: n.type,
      id: n.id,
      version: n.version,
    })),
    training: { seed: 1337, steps: 1000 },
    version: 1,
    meta: doc.meta,
    groups: [],
    notes: [],
  };
  const loaded = loadDocumentValue(shuffled);
  assert.ok(loaded.ok);
  const reference = parseDocumentText(seedText);
  assert.ok(reference.ok);
  assert.equal(documentToText(loaded.doc), documentToText(reference.doc));
});

test('loading fills the document defaults and keeps optional fields absent', () => {
  const loaded = loadDocumentValue({ version: 1, nodes: [{ id: 'a', type: 'clip' }], edges: [] });
  assert.ok(loaded.ok);
  assert.deepEqual(loaded.doc, { ...emptyDocument(), nodes: [{ id: 'a', type: 'clip', params: {}, position: { x: 0, y: 0 } }] });
  assert.equal(loaded.from, 1);
});

test('rejects non-JSON, missing or newer versions, and bad shapes, with a message naming the place', () => {
  const bad = parseDocumentText('{"version": 1, nodes: []}');
  assert.ok(!bad.ok && /not valid JSON/.test(bad.message));
  const noVersion = parseDocumentText('{"nodes": [], "edges": []}');
  assert.ok(!noVersion.ok && /^version: missing/.test(noVersion.message));
  const newer = parseDocumentText('{"version": 99, "nodes": [], "edges": []}');
  assert.ok(!newer.ok && /newer Pretrain Studio/.test(newer.message));
  const shape = parseDocumentText('{"version": 1, "nodes": [{"id": "a b", "type": "clip"}], "edges": []}');
  assert.ok(!shape.ok);
  assert.deepEqual(shape.issues[0].path, ['nodes', 0, 'id']);
  assert.match(shape.message, /^nodes\.0\.id: may contain only/);
});

test('ids: unique with #n suffixes, readable edge ids, shortened when too long', () => {
  assert.equal(uniqueId('model', new Set()), 'model');
  assert.equal(uniqueId('model', new Set(['model', 'model#2'])), 'model#3');
  assert.equal(uniqueId('model#7', new Set(['model'])), 'model#2');
  assert.equal(edgeId({ source: 'a', sourceHandle: 'x', target: 'b', targetHandle: 'y' }, new Set()), 'a.x->b.y');
  const long = 'n'.repeat(40);
  assert.equal(edgeId({ source: long, sourceHandle: 'x', target: long, targetHandle: 'y' }, new Set(['e1'])), 'e2');
});

test('defaultParams is the schema defaults in schema order', () => {
  assert.deepEqual(defaultParams('clip'), { max_norm: 1 });
  assert.deepEqual(Object.keys(defaultParams('get_batch')), ['batch_size', 'context_length', 'seed']);
  assert.deepEqual(defaultParams('no_such_kind'), {});
});

test('fileNameFor makes a tidy file name', () => {
  assert.equal(fileNameFor('Seed: byte-level GPT on the Brown corpus'), 'seed-byte-level-gpt-on-the-brown-corpus.json');
  assert.equal(fileNameFor('!!!'), 'pipeline.json');
});

test('canonicalDocument copies: editing the result leaves the input alone', () => {
  const loaded = parseDocumentText(seedText);
  assert.ok(loaded.ok);
  const copy = canonicalDocument(loaded.doc);
  copy.nodes[0].position.x = 999;
  assert.equal(loaded.doc.nodes[0].position.x, 0);
});

test('nodes saved by an older version of their kind are upgraded on load (NodeDefinition.migrate)', async () => {
  const { registry } = await import('../engine/nodes');
  const upgradable = [...registry.values()].find((d) => d.version > 1 && d.migrate);
  if (!upgradable) return; // every kind is at version 1 in this build: nothing to upgrade
  const loaded = loadDocumentValue({ version: 1, nodes: [{ id: 'n', type: upgradable.kind, version: 1, params: {} }], edges: [] });
  assert.ok(loaded.ok);
  assert.equal(loaded.doc.nodes[0].version, upgradable.version);
  assert.deepEqual(loaded.doc.nodes[0].params, upgradable.migrate!({}, 1));
});

test('a sweep is part of the document: saved, loaded and shared with it', async () => {
  const loaded = loadDocumentValue({ ...JSON.parse(templates[1]), sweep: { axes: [{ nodeId: 'scheduler', field: 'lr', values: [1e-3, 1e-2] }], steps: 5 } });
  assert.ok(loaded.ok);
  const text = documentToText(loaded.doc);
  assert.deepEqual(JSON.parse(text).sweep, { axes: [{ nodeId: 'scheduler', field: 'lr', values: [1e-3, 1e-2] }], steps: 5 });
  const again = parseDocumentText(text);
  assert.ok(again.ok);
  assert.equal(documentToText(again.doc), text);
  const { encodeShare, decodeShare } = await import('./share');
  assert.deepEqual(((await decodeShare(await encodeShare(loaded.doc))) as { sweep: unknown }).sweep, JSON.parse(text).sweep);
  // A document without one writes none.
  assert.equal('sweep' in JSON.parse(documentToText(emptyDocument())), false);
});
