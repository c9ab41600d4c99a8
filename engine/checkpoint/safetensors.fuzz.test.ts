// Malformed checkpoints never crash, hang or allocate wildly: mutated files either decode into a
// consistent set of tensors or throw SafetensorsError; a checkpoint for another model is refused
// by name and shape.
import '../node/tfjs'; // tfjs-core with its gradients, as Node sets it up
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mutatedBytes } from '../testing/mutated-bytes';
import { Gpt } from '../model/gpt';
import { decodeSafetensors, DTYPE_SIZES, encodeSafetensors, f32Tensor, i32Tensor, SafetensorsError } from './safetensors';

const valid = encodeSafetensors(
  { 'a.weight': f32Tensor([2, 3], new Float32Array([1, 2, 3, 4, 5, 6])), step: i32Tensor([], new Int32Array([7])) },
  { format: 'pretrain-studio-checkpoint' },
);

function checkDecode(bytes: Uint8Array) {
  try {
    const { tensors } = decodeSafetensors(bytes, 'fuzz.safetensors');
    for (const [name, t] of tensors) {
      const elements = t.shape.reduce((a, b) => a * b, 1);
      assert.equal(t.data.byteLength, elements * DTYPE_SIZES[t.dtype], `${name}: size matches shape`);
    }
  } catch (e) {
    assert.ok(e instanceof SafetensorsError, `expected SafetensorsError, got ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
  }
}

test('byte flips, truncations and insertions anywhere in a checkpoint', () => {
  fc.assert(
    fc.property(mutatedBytes(valid, 5), (bytes) => checkDecode(bytes)),
    { numRuns: 4000, seed: 3 },
  );
});

test('headers that lie about offsets, shapes and dtypes', () => {
  const entry = fc.record({
    dtype: fc.oneof(fc.constantFrom('F32', 'I32', 'F16', 'BOOL', 'X9', ''), fc.string({ maxLength: 4 })),
    shape: fc.array(fc.oneof(fc.integer({ min: -3, max: 10 }), fc.constantFrom(2 ** 40, 1e30, 0.5)), { maxLength: 3 }),
    data_offsets: fc.tuple(fc.integer({ min: -8, max: 64 }), fc.oneof(fc.integer({ min: -8, max: 64 }), fc.constantFrom(2 ** 53))),
  });
  fc.assert(
    fc.property(fc.dictionary(fc.string({ maxLength: 6 }), entry, { maxKeys: 3 }), fc.nat({ max: 64 }), (header, dataBytes) => {
      const json = new TextEncoder().encode(JSON.stringify(header));
      const bytes = new Uint8Array(8 + json.length + dataBytes);
      new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
      bytes.set(json, 8);
      checkDecode(bytes);
    }),
    { numRuns: 3000, seed: 4 },
  );
});

test('a header length far beyond the file is refused before any allocation', () => {
  const bytes = new Uint8Array(valid);
  new DataView(bytes.buffer).setBigUint64(0, 2n ** 62n, true);
  assert.throws(() => decodeSafetensors(bytes, 'huge.safetensors'), SafetensorsError);
});

test('weights of the wrong shape or name for the model are refused, naming the tensor', () => {
  const model = new Gpt(
    { vocabSize: 16, contextLength: 8, dModel: 8, nLayers: 1, nHeads: 2, dFF: 16, ropeTheta: 10000, norm: 'rmsnorm', ffn: 'swiglu', tieEmbeddings: true },
    1,
  );
  const weights = new Map<string, tf.Tensor>([...model.params].map(([name, v]) => [name, tf.clone(v)]));
  const wrong = new Map(weights);
  wrong.set('wte', tf.zeros([17, 8]));
  assert.throws(() => model.loadWeights(wrong), /wte/);
  const missing = new Map(weights);
  missing.delete('blocks.0.attn.wq');
  assert.throws(() => model.loadWeights(missing), /blocks\.0\.attn\.wq/);
  tf.dispose([...weights.values(), wrong.get('wte')!]);
  model.dispose();
});
