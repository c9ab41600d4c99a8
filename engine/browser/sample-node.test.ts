// The browser's sample node (async reads) against the engine's: the same text from the same
// weights and seed, in a whole run, and generateAsync against generate directly.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { compile } from '../compiler/compile';
import { collectEvents } from '../events';
import { generate, Gpt } from '../model/gpt';
import { registry } from '../nodes';
import { Rng } from '../random';
import { runPlan } from '../runtime/run';
import { memoryIO } from '../runtime/memory-io';
import { useBackend } from '../tf/backend';
import { browserRegistry, generateAsync } from './sample-node';
import { tokenizeTextDataset } from './tokenize-text';

before(async () => {
  await useBackend('cpu');
});

test('generateAsync draws the same tokens as generate', async () => {
  const model = new Gpt({ vocabSize: 40, contextLength: 8, dModel: 16, nLayers: 1, nHeads: 2, dFF: 32, ropeTheta: 10_000, norm: 'rmsnorm', ffn: 'gelu', tieEmbeddings: false }, 3);
  for (const opts of [{ temperature: 0.8, topK: 5 }, { temperature: 1.3, topK: 0 }, { temperature: 0, topK: 0 }]) {
    const a = generate(model, [1, 2, 3], 12, { ...opts, rng: new Rng(9) });
    const b = await generateAsync(model, [1, 2, 3], 12, { ...opts, rng: new Rng(9) });
    assert.deepEqual(b, a, JSON.stringify(opts));
  }
  model.dispose();
});

test('a run with the browser registry samples the same text as the engine registry', async () => {
  const doc = JSON.parse(readFileSync(new URL('../../pipelines/smoke.json', import.meta.url), 'utf8'));
  doc.training.steps = 6;
  for (const n of doc.nodes) if (n.id === 'sample') Object.assign(n.params, { every: 3, max_new_tokens: 10 });
  const compiled = compile(doc);
  assert.ok(compiled.ok);
  const text = 'It was the best of times, it was the worst of times.\n'.repeat(60);
  const data = await tokenizeTextDataset(text, { tokenizer: 'byte' });
  const samples = async (reg: typeof registry) => {
    const sink = collectEvents();
    const result = await runPlan({ plan: compiled.plan, io: memoryIO(data), sink, backendName: 'cpu', registry: reg });
    assert.equal(result.status, 'completed');
    return sink.events.filter((e) => e.type === 'sample');
  };
  const expected = await samples(registry);
  assert.equal(expected.length, 2); // steps 3 and 6
  assert.deepEqual(await samples(browserRegistry), expected);
});
