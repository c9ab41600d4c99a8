// Malformed pipelines never crash the compiler: 10,000 generated and mutated documents each
// compile to a plan or to diagnostics that say where the problem is. No exception escapes.
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { compile } from './compile';

const seed = JSON.parse(readFileSync(new URL('../../pipelines/seed.json', import.meta.url), 'utf8'));

/** Any JSON-ish value, including the awkward ones (huge numbers, NaN-like strings, deep nesting). */
const anyValue = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1e308, -1e-308, 2 ** 53, '', '__proto__', 'constructor', '1e3', 'NaN'),
  fc.integer(), fc.double(), fc.string(), fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.integer(), { maxKeys: 3 }),
);

type Mutation = (doc: any) => void;
const pick = <T>(items: T[], i: number): T | undefined => (items.length ? items[Math.abs(i) % items.length] : undefined);

/** One random edit of a valid document: a param, a field, an edge end, a node's type, a whole section. */
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.nat(), fc.string({ maxLength: 12 }), anyValue).map(([i, key, value]) => (doc: any) => {
    const node = pick(doc.nodes ?? [], i) as any;
    if (node && typeof node === 'object') {
      const keys = Object.keys(node.params ?? {});
      node.params = { ...node.params, [pick(keys, i) ?? key]: value };
    }
  }),
  fc.tuple(fc.nat(), fc.constantFrom('id', 'type', 'params', 'position', 'version'), anyValue).map(([i, field, value]) => (doc: any) => {
    const node = pick(doc.nodes ?? [], i) as any;
    if (node && typeof node === 'object') node[field] = value;
  }),
  fc.tuple(fc.nat(), fc.constantFrom('id', 'source', 'sourceHandle', 'target', 'targetHandle'), fc.oneof(anyValue, fc.constantFrom('model', 'loss', 'x', 'logits', 'grads'))).map(
    ([i, field, value]) => (doc: any) => {
      const edge = pick(doc.edges ?? [], i) as any;
      if (edge && typeof edge === 'object') edge[field] = value;
    }),
  fc.tuple(fc.nat(), fc.nat()).map(([i, j]) => (doc: any) => {
    // Duplicate or drop a node or an edge.
    const list = (i % 2 ? doc.nodes : doc.edges) as unknown[];
    if (!Array.isArray(list) || !list.length) return;
    if (j % 2) list.push(structuredClone(pick(list, j)));
    else list.splice(j % list.length, 1);
  }),
  fc.tuple(fc.constantFrom('version', 'meta', 'training', 'nodes', 'edges', 'notes', 'groups'), anyValue).map(([field, value]) => (doc: any) => {
    doc[field] = value;
  }),
  fc.tuple(fc.constantFrom('steps', 'seed'), anyValue).map(([field, value]) => (doc: any) => {
    if (doc.training && typeof doc.training === 'object') doc.training[field] = value;
  }),
);

function checkResult(doc: unknown) {
  const result = compile(doc); // must not throw
  if (result.ok) {
    assert.ok(result.plan.nodes.length >= 0);
    JSON.stringify(result.plan); // plain data
    return;
  }
  assert.ok(result.diagnostics.length > 0, 'a rejected document has at least one diagnostic');
  for (const d of result.diagnostics) {
    assert.equal(typeof d.message, 'string');
    assert.ok(d.message.length > 0);
    // Addressed: to a node, an edge, a document field, or (for a top-level problem) the version.
    assert.ok(d.nodeId !== undefined || d.edgeId !== undefined || d.field !== undefined, JSON.stringify(d));
  }
}

test('8,000 mutated seed pipelines compile or fail with addressed diagnostics', () => {
  fc.assert(
    fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
      const doc = structuredClone(seed);
      for (const m of mutations) m(doc);
      checkResult(doc);
    }),
    { numRuns: 8000, seed: 20261128 },
  );
});

test('2,000 arbitrary JSON documents are rejected cleanly', () => {
  fc.assert(
    fc.property(fc.oneof(fc.jsonValue({ maxDepth: 4 }), fc.record({ version: anyValue, nodes: fc.array(fc.jsonValue({ maxDepth: 2 })), edges: anyValue })), (doc) => {
      checkResult(doc);
    }),
    { numRuns: 2000, seed: 11 },
  );
});
