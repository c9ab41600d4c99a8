// Malformed pipelines never crash the compiler: 10,000 generated and mutated documents each
// compile to a plan or to diagnostics that say where the problem is. No exception escapes.
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { anyValue, pipelineMutation } from '../testing/pipeline-mutations';
import { compile } from './compile';

const seed = JSON.parse(readFileSync(new URL('../../pipelines/seed.json', import.meta.url), 'utf8'));

// The compiler also sees NaN (a document built in code, not parsed from JSON).
const values = fc.oneof(anyValue, fc.constant(NaN));
const mutation = pipelineMutation(values);

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
    fc.property(
      fc.oneof(fc.jsonValue({ maxDepth: 4 }), fc.record({ version: anyValue, nodes: fc.array(fc.jsonValue({ maxDepth: 2 })), edges: anyValue })),
      (doc) => {
        checkResult(doc);
      },
    ),
    { numRuns: 2000, seed: 11 },
  );
});
