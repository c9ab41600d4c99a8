// eval: the validation loss is the mean of per-batch cross-entropies over windows from a fresh
// Rng(seed), the same as the straightforward loop (one batch read, computed and read back at a
// time) to 1e-6, whether the windows come from its cache or from the file; every evaluation
// sees the same windows; no tensors are left behind.
import '../../node/tfjs'; // tfjs-core with its gradients, as Node sets it up
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { type Batch } from '../../data/batch';
import { memorySource } from '../../data/byte-source';
import { encodeNpy, NpyTokenReader } from '../../data/npy';
import { crossEntropy, Gpt, type GptConfig } from '../../model/gpt';
import { Rng } from '../../random';
import { useBackend } from '../../tf/backend';
import { evalLoss, type EvalSpec } from './eval';

const CONFIG: GptConfig = {
  vocabSize: 64,
  contextLength: 16,
  dModel: 32,
  nLayers: 2,
  nHeads: 2,
  dFF: 64,
  ropeTheta: 10000,
  norm: 'layernorm',
  ffn: 'gelu',
  tieEmbeddings: true,
};

async function validReader(): Promise<NpyTokenReader> {
  const rng = new Rng(11);
  const ids = Uint16Array.from({ length: 5_000 }, (_, i) => (i % 7 === 0 ? rng.index(64) : (i * 5) % 64));
  return NpyTokenReader.open(memorySource(encodeNpy(ids), 'valid.npy'));
}

/** The loop eval ran before: B windows read one after another, one forward and one read-back per batch. */
async function straightforwardEval(gpt: Gpt, reader: NpyTokenReader, spec: EvalSpec): Promise<number> {
  const { batchSize: B, contextLength: T } = spec;
  const rng = new Rng(spec.seed);
  let sum = 0;
  for (let k = 0; k < spec.batches; k++) {
    const x = new Int32Array(B * T);
    const y = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      const window = await reader.read(rng.index(reader.length - T), T + 1);
      x.set(window.subarray(0, T), b * T);
      y.set(window.subarray(1), b * T);
    }
    const loss = tf.tidy(() => crossEntropy(gpt.forward(tf.tensor2d(x, [B, T], 'int32')), tf.tensor2d(y, [B, T], 'int32')));
    sum += (await loss.data())[0];
    loss.dispose();
  }
  return sum / spec.batches;
}

for (const backend of ['cpu', 'wasm'] as const) {
  test(`${backend}: evalLoss equals the straightforward loop, cached or not, and leaks nothing`, async () => {
    await useBackend(backend);
    const gpt = new Gpt(CONFIG, 3);
    const reader = await validReader();
    const spec: EvalSpec = { batches: 5, batchSize: 4, contextLength: 16, seed: 42 };
    try {
      const reference = await straightforwardEval(gpt, reader, spec);
      const tensors = tf.memory().numTensors;
      const cache: Batch[] = [];
      const first = await evalLoss(gpt, reader, spec, cache);
      assert.equal(cache.length, spec.batches, 'the windows are kept');
      const second = await evalLoss(gpt, reader, spec, cache);
      const streamed = await evalLoss(gpt, reader, spec);
      assert.equal(tf.memory().numTensors, tensors, 'no tensor outlives an evaluation');
      for (const value of [first, second, streamed]) assert.ok(Math.abs(value - reference) <= 1e-6, `${value} vs ${reference}`);
      assert.ok(reference > 3 && reference < 5, `an untrained model scores about ln(64) = 4.16, got ${reference}`);
      // Another seed draws other windows, so the loss differs: the seed is honoured.
      const other = await evalLoss(gpt, reader, { ...spec, seed: 7 });
      assert.notEqual(other, reference);
    } finally {
      gpt.dispose();
    }
  });
}

test('a context longer than the split is refused with the split named', async () => {
  await useBackend('cpu');
  const gpt = new Gpt({ ...CONFIG, contextLength: 16 }, 1);
  const reader = await NpyTokenReader.open(memorySource(encodeNpy(new Uint16Array(10)), 'valid.npy'));
  try {
    await assert.rejects(evalLoss(gpt, reader, { batches: 1, batchSize: 1, contextLength: 16, seed: 1 }), /needs at least 17/);
  } finally {
    gpt.dispose();
  }
});
