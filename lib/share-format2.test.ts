// A share link made by a format-2 studio (fixture written by engine/pipeline/fixtures/make_share_link.py)
// still opens: the document inside migrates to format 3 and compiles to the model it described.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { compile } from '../engine/compiler/compile';
import { modelConfigOf } from '../engine/nodes/model';
import { PIPELINE_VERSION } from '../engine/pipeline/schema';
import { loadDocumentValue } from './document';
import { decodeShare } from './share';

test('a format-2 share link opens as a format-3 document with the same model', async () => {
  const hash = readFileSync(new URL('../engine/pipeline/fixtures/v2-share-link.txt', import.meta.url), 'utf8').trim();
  const value = await decodeShare(hash);
  assert.equal((value as { version: number }).version, 2);
  const loaded = loadDocumentValue(value);
  assert.ok(loaded.ok, JSON.stringify(loaded));
  assert.equal(loaded.doc.version, PIPELINE_VERSION);
  const compiled = compile(loaded.doc);
  assert.ok(compiled.ok);
  const model = compiled.plan.nodes.find((n) => n.kind === 'model')!;
  assert.deepEqual(modelConfigOf(model).summary && [modelConfigOf(model).summary!.d_model, modelConfigOf(model).summary!.n_layers], [128, 2]);
});
