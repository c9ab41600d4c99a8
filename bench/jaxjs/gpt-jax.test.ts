// The study's jax-js GPT against the engine: same weights and batches, same AdamW, three steps on a
// small config — the losses agree, so the study's speed comparison trains the same model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { Gpt } from '../../engine/model/gpt';
import type { GptConfig } from '../../engine/model/config';
import { useBackend } from '../../engine/node/backend';
import { Rng } from '../../engine/random';
import type { StudyInputs } from './study-inputs';
import { trainEngine } from './train-engine';
import { trainJax } from './train-jax';

async function smallInputs(config: GptConfig, batch: number, steps: number): Promise<StudyInputs> {
  const model = new Gpt(config, 3);
  const weights = [...model.params].map(([name, p]) => ({ name, shape: p.shape, data: p.dataSync() as Float32Array }));
  tf.dispose([...model.params.values()]);
  const rng = new Rng(7);
  // Counting sequences (each id followed by the next): a pattern the model learns within steps.
  const T = config.contextLength;
  const V = config.vocabSize;
  const batches = Array.from({ length: steps }, () => {
    const starts = Array.from({ length: batch }, () => rng.index(V));
    const at = (shift: number) => Int32Array.from({ length: batch * T }, (_, i) => (starts[Math.floor(i / T)] + (i % T) + shift) % V);
    return { x: at(0), y: at(1) };
  });
  return { config, batch, weights, batches, optimizer: { lr: 1e-2, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 } };
}

const base = { vocabSize: 32, contextLength: 8, dModel: 16, nLayers: 2, nHeads: 2, dFF: 32, ropeTheta: 10000 } as const;

for (const variant of [
  { norm: 'layernorm', ffn: 'gelu', tieEmbeddings: true },
  { norm: 'rmsnorm', ffn: 'swiglu', tieEmbeddings: false },
] as const) {
  test(`jax-js GPT trains like the engine (${variant.norm}, ${variant.ffn}, ${variant.tieEmbeddings ? 'tied' : 'untied'})`, async () => {
    await useBackend('cpu');
    const inputs = await smallInputs({ ...base, ...variant }, 3, 3);
    const engine = await trainEngine(inputs, 'cpu', 'node');
    const jax = await trainJax(inputs, 'wasm', 'node');
    assert.equal(jax.losses.length, 3);
    assert.ok(engine.losses[2] < engine.losses[0] - 0.05, `the loss falls: ${engine.losses}`);
    for (let i = 0; i < 3; i++) {
      const rel = Math.abs(jax.losses[i] - engine.losses[i]) / engine.losses[i];
      assert.ok(rel < 1e-5, `step ${i + 1}: jax-js ${jax.losses[i]} vs engine ${engine.losses[i]}`);
    }
  });
}
