// Compiler: small graphs in, plans and per-node diagnostics out.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { compile } from './compile';
import { checkVocabulary } from './data-check';
import { formatDiagnostic, type Diagnostic } from './diagnostics';
import { migratePipeline } from '../pipeline/migrate';

const seed = JSON.parse(readFileSync(new URL('../../pipelines/seed.json', import.meta.url), 'utf8'));
const smoke = JSON.parse(readFileSync(new URL('../../pipelines/smoke.json', import.meta.url), 'utf8'));

/** A deep copy of the seed pipeline, changed by `edit`. */
function seedWith(edit: (doc: any) => void) {
  const doc = structuredClone(seed);
  edit(doc);
  return doc;
}

function errorsOf(doc: unknown): Diagnostic[] {
  const result = compile(doc);
  assert.equal(result.ok, false, 'expected the pipeline to be rejected');
  return result.diagnostics;
}

function setParam(doc: any, nodeId: string, key: string, value: unknown) {
  doc.nodes.find((n: any) => n.id === nodeId).params[key] = value;
}

test('the seed and smoke pipelines compile', () => {
  for (const doc of [seed, smoke]) {
    const result = compile(doc);
    assert.ok(result.ok, result.ok ? '' : result.diagnostics.map(formatDiagnostic).join('\n'));
  }
});

test('plan: nodes ordered after their inputs, defaults filled, gradient pass found', () => {
  const result = compile(seed);
  assert.ok(result.ok);
  const { plan } = result;
  const position = new Map(plan.nodes.map((n, i) => [n.id, i]));
  for (const node of plan.nodes) {
    for (const input of Object.values(node.inputs)) assert.ok(position.get(input.node)! < position.get(node.id)!, `${input.node} before ${node.id}`);
  }
  const backward = plan.nodes.find((n) => n.id === 'backward')!;
  assert.deepEqual(backward.differentiates, { loss: ['get_batch', 'model', 'loss'] });
  for (const id of ['get_batch', 'model', 'loss']) assert.equal(plan.nodes.find((n) => n.id === id)!.microOf, 'backward');
  assert.equal(plan.nodes.find((n) => n.id === 'dataset')!.microOf, undefined);
  assert.equal(plan.nodes.find((n) => n.id === 'optimizer')!.params.eps, 1e-8); // a default the seed leaves out
  assert.equal(plan.totalSteps, seed.training.steps);
  assert.equal(JSON.parse(JSON.stringify(plan)).nodes.length, plan.nodes.length); // plain data
});

test('unknown node type names the node', () => {
  const d = errorsOf(seedWith((doc) => void (doc.nodes.find((n: any) => n.id === 'clip').type = 'clipper')));
  assert.ok(d.some((x) => x.code === 'unknown-type' && x.nodeId === 'clip' && /clipper/.test(x.message)));
});

test('missing required input names node and port', () => {
  const d = errorsOf(seedWith((doc) => (doc.edges = doc.edges.filter((e: any) => e.target !== 'loss' || e.targetHandle !== 'targets'))));
  assert.deepEqual(
    d.map((x) => [x.code, x.nodeId, x.field]),
    [['missing-input', 'loss', 'targets']],
  );
});

test('port type mismatch: get_batch.tokens fed logits', () => {
  const d = errorsOf(
    seedWith((doc) => {
      const e = doc.edges.find((x: any) => x.target === 'get_batch');
      Object.assign(e, { source: 'model', sourceHandle: 'logits' });
    }),
  );
  const mismatch = d.find((x) => x.code === 'type-mismatch')!;
  assert.equal(formatDiagnostic(mismatch), 'get_batch.tokens: expected TokenSource, got Logits');
});

test('duplicate node ids and edge ids', () => {
  const d = errorsOf(
    seedWith((doc) => {
      doc.nodes.push({ ...doc.nodes[0] });
      doc.edges.push({ ...doc.edges[0] });
    }),
  );
  assert.ok(d.some((x) => x.code === 'duplicate-id' && x.nodeId === 'dataset'));
  assert.ok(d.some((x) => x.code === 'duplicate-id' && x.edgeId === doc0EdgeId()));
});
const doc0EdgeId = () => seed.edges[0].id;

test('dangling edge names the edge and the missing node', () => {
  const d = errorsOf(seedWith((doc) => doc.edges.push({ id: 'e1', source: 'ghost', sourceHandle: 'x', target: 'model', targetHandle: 'x' })));
  assert.ok(d.some((x) => x.code === 'dangling-edge' && x.edgeId === 'e1' && /ghost/.test(x.message)));
});

test('unknown port and an input with two edges', () => {
  const d = errorsOf(
    seedWith((doc) => {
      doc.edges.push({ id: 'e1', source: 'dataset', sourceHandle: 'test', target: 'eval', targetHandle: 'data' });
      doc.edges.push({ id: 'e2', source: 'dataset', sourceHandle: 'train', target: 'eval', targetHandle: 'data' });
    }),
  );
  assert.ok(d.some((x) => x.code === 'unknown-port' && x.nodeId === 'dataset' && x.field === 'test'));
  assert.ok(d.some((x) => x.code === 'input-taken' && x.nodeId === 'eval' && x.field === 'data'));
});

test('invalid params give path and reason; unknown params are named', () => {
  const d = errorsOf(
    seedWith((doc) => {
      setParam(doc, 'get_batch', 'batch_size', -3);
      setParam(doc, 'optimizer', 'kind', 'rmsprop');
      setParam(doc, 'clip', 'maxnorm', 1);
    }),
  );
  const byNode = Object.fromEntries(d.map((x) => [x.nodeId, x]));
  assert.equal(byNode.get_batch.field, 'batch_size');
  assert.match(byNode.get_batch.message, />=\s*1/);
  assert.equal(byNode.optimizer.field, 'kind');
  assert.match(byNode.optimizer.message, /adamw/);
  assert.equal(byNode.clip.field, 'maxnorm');
  assert.ok(d.every((x) => x.code === 'invalid-param'));
});

test('impossible shapes: d_model not divisible by n_heads, context longer than the model', () => {
  const d = errorsOf(
    seedWith((doc) => {
      setParam(doc, 'model', 'n_heads', 5);
      setParam(doc, 'get_batch', 'context_length', 128);
    }),
  );
  // Inside the model block: on the attention node's n_heads (format 3 holds the model as a subgraph).
  assert.ok(
    d.some((x) => x.nodeId === 'model' && x.innerNodeId === 'attn' && x.field === 'attn.n_heads'),
    d.map(formatDiagnostic).join('\n'),
  );
  assert.ok(d.some((x) => x.nodeId === 'model' && x.field === 'context_length' && /128/.test(x.message)));
  assert.ok(d.every((x) => x.code === 'bad-shape'));
});

test('a cycle names every node in it', () => {
  const d = errorsOf(
    seedWith((doc) => {
      doc.edges = doc.edges.filter((e: any) => !(e.target === 'optimizer' && e.targetHandle === 'model'));
      doc.edges.push({ id: 'loop', source: 'optimizer', sourceHandle: 'model', target: 'optimizer', targetHandle: 'model' });
    }),
  );
  assert.ok(d.some((x) => x.code === 'cycle' && x.nodeId === 'optimizer'));
});

test('a step value from inside the gradient pass cannot leave it', () => {
  const d = errorsOf(
    seedWith((doc) => {
      doc.edges = doc.edges.filter((e: any) => e.target !== 'log');
      doc.edges.push({ id: 'leak', source: 'loss', sourceHandle: 'loss', target: 'log', targetHandle: 'loss' });
    }),
  );
  assert.deepEqual(
    d.map((x) => [x.code, x.nodeId, x.field]),
    [['micro-output', 'log', 'loss']],
  );
});

test('document errors: not an object, wrong shapes mapped to node ids, future version', () => {
  assert.equal(errorsOf('nope')[0].code, 'invalid-document');
  assert.equal(errorsOf(seedWith((doc) => delete doc.version))[0].message, 'version: missing; is this a pipeline file?');
  const future = errorsOf(seedWith((doc) => (doc.version = 99)))[0];
  assert.equal(future.code, 'unsupported-version');
  assert.match(future.message, /newer/);
  const bad = errorsOf(seedWith((doc) => (doc.nodes[2].position = { x: 'left' })));
  assert.ok(bad.some((x) => x.nodeId === 'model' && x.field === 'position.x'));
});

test('node kind versions: newer params are refused', () => {
  const d = errorsOf(seedWith((doc) => (doc.nodes.find((n: any) => n.id === 'clip').version = 7)));
  assert.ok(d.some((x) => x.code === 'unsupported-version' && x.nodeId === 'clip'));
});

test('migration hook upgrades old documents one version at a time', () => {
  const migrations = {
    1: (doc: Record<string, unknown>) => ({ ...doc, version: 2, renamed: doc.old }),
    2: (doc: Record<string, unknown>) => ({ ...doc, version: 3, extra: true }),
  };
  const result = migratePipeline({ version: 1, old: 'x' }, migrations, 3);
  assert.deepEqual(result, { ok: true, from: 1, doc: { version: 3, old: 'x', renamed: 'x', extra: true } });
  const gap = migratePipeline({ version: 1 }, { 1: migrations[1] }, 3);
  assert.deepEqual(gap, { ok: false, message: 'version: no migration from 2 to 3' });
});

test('vocabulary check against the data names model.vocab_size', () => {
  const result = compile(seed);
  assert.ok(result.ok);
  assert.deepEqual(checkVocabulary(result.plan, new Map([['dataset', 255]])), []);
  const [d] = checkVocabulary(result.plan, new Map([['dataset', 300]]));
  assert.equal(formatDiagnostic(d), "model.vocab_size: is 256, but dataset's data contains token id 300; use at least 301");
});

test('an empty pipeline, or one without a backward node, is refused: nothing would train', () => {
  const empty = compile({ version: 1, nodes: [], edges: [] });
  assert.equal(empty.ok, false);
  assert.deepEqual(
    empty.diagnostics.map((d) => [d.code, d.field, formatDiagnostic(d)]),
    [
      [
        'nothing-to-train',
        'nodes',
        'pipeline.nodes: is empty: a pipeline trains a model (dataset → get_batch → model → loss → backward → optimizer); start from a template',
      ],
    ],
  );
  const doc = structuredClone(smoke);
  doc.nodes = doc.nodes.filter((n: any) => n.type !== 'backward');
  doc.edges = doc.edges.filter((e: any) => e.source !== 'backward' && e.target !== 'backward');
  const headless = compile(doc);
  assert.equal(headless.ok, false);
  assert.ok(
    headless.diagnostics.some((d) => d.code === 'nothing-to-train' && /has no backward node/.test(d.message)),
    headless.diagnostics.map(formatDiagnostic).join('\n'),
  );
});
