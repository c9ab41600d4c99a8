// A checkpoint saved by a format-2 run (its meta.pipeline holds the model's flat params) resumes
// under format 3: the migrated pipeline trains the same parameters, so the resumed run gives
// exactly the losses the uninterrupted run had.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, test } from 'node:test';
import { compile } from '../compiler/compile';
import { encodeNpy } from '../data/npy';
import { collectEvents, type RunEvent } from '../events';
import { useBackend } from '../node/backend';
import { Rng } from '../random';
import { memoryIO } from './memory-io';
import { runPlan } from './run';

const v2Smoke = JSON.parse(readFileSync(new URL('../pipeline/fixtures/v2-smoke.json', import.meta.url), 'utf8'));

function ids(n: number, seed: number): Uint16Array {
  const rng = new Rng(seed);
  const out = new Uint16Array(n);
  for (let i = 1; i < n; i++) out[i] = rng.uniform() < 0.9 ? (out[i - 1] * 5 + 3) % 32 : rng.index(32);
  return out;
}
const data = () => ({ train: encodeNpy(ids(20_000, 1)), valid: encodeNpy(ids(4_000, 2)) });
const losses = (events: RunEvent[]) => events.flatMap((e) => (e.type === 'step' ? [[e.step, e.data.loss] as const] : []));

let backend = '';
before(async () => {
  backend = await useBackend('wasm');
});

test('a checkpoint whose meta.pipeline is format 2 resumes exactly', async () => {
  const doc = structuredClone(v2Smoke);
  const set = (id: string, params: Record<string, unknown>) => Object.assign(doc.nodes.find((n: { id: string }) => n.id === id).params, params);
  set('dataset', { source: 'files' });
  set('model', { vocab_size: 32 });
  set('sample', { prompt: '', every: 1000 });
  set('checkpoint', { every: 6 });
  doc.training.steps = 12;
  const compiled = compile(doc);
  assert.ok(compiled.ok);
  const io = memoryIO(data());
  const full = collectEvents();
  await runPlan({ plan: compiled.plan, io, sink: full, backendName: backend });
  const saved = await io.checkpoints.load('ckpt-000006');
  // What a format-2 build wrote: the document as it was, flat model params and all.
  const meta = { ...(saved.meta as Record<string, unknown>), pipeline: doc };
  assert.equal((meta.pipeline as { version: number }).version, 2);

  const fromMeta = compile(meta.pipeline);
  assert.ok(fromMeta.ok);
  const resumed = collectEvents();
  const result = await runPlan({
    plan: fromMeta.plan,
    io: memoryIO(data()),
    sink: resumed,
    backendName: backend,
    resume: { name: 'ckpt-000006', weights: saved.weights, meta },
  });
  assert.equal(result.status, 'completed');
  assert.deepEqual(
    losses(resumed.events),
    losses(full.events).filter(([s]) => s > 6),
  );
});
