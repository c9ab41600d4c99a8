// The inside view (model/insides) against PyTorch (fixtures/make_insides.py, forward hooks on one
// module per inner node): act_rms of every inner node, attn_entropy per layer and the gradient norm
// of each node's own parameters, for one step of the default model block, a GQA model with an
// untied head and learned positions, and a post-norm model with fixed norms and QK-norm; on cpu
// and wasm. Also: the probe changes no logit, and leaves no tensor behind.
import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { InsidesData } from '../events';
import { useBackend } from '../node/backend';
import { InsideView } from '../runtime/insides';
import { assertClose, ids, type StoredTensor, TEST_BACKENDS, toTensor } from './fixtures/reference';
import { crossEntropy, Gpt, type GptConfig } from './gpt';

interface InsidesCase {
  name: string;
  config: GptConfig;
  weights: Record<string, StoredTensor>;
  x: number[][];
  y: number[][];
  loss: number;
  insides: InsidesData;
}

const fixtures = JSON.parse(readFileSync(new URL('./fixtures/insides_fixtures.json', import.meta.url), 'utf8')) as { cases: InsidesCase[] };

/** Relative 1e-4, as the contract asks (float32 sums against float64). */
const TOL = { rtol: 1e-4, atol: 1e-7 };

function load(c: InsidesCase): Gpt {
  const model = new Gpt(c.config, 0);
  const weights = new Map(Object.entries(c.weights).map(([k, v]) => [k, toTensor(v)]));
  model.loadWeights(weights);
  tf.dispose([...weights.values()]);
  return model;
}

/** One training step's inside view, as the model runtime takes it: probe on the forward, grads by name. */
async function stepInsides(model: Gpt, x: tf.Tensor2D, y: tf.Tensor2D): Promise<{ loss: number; data: InsidesData | undefined }> {
  const view = new InsideView(model, { inspect_every: 1 });
  const probe = view.probeFor(0);
  assert.ok(probe, 'step 1 is due');
  assert.equal(view.probeFor(0), undefined, 'a second micro-batch of the same step is not probed');
  const vars = [...model.params.entries()];
  const { value, grads } = tf.variableGrads(
    () => crossEntropy(model.forward(x, probe), y),
    vars.map(([, v]) => v),
  );
  const byName = new Map(vars.map(([name, v]) => [name, grads[v.name]]));
  const data = await view.collect(0, byName);
  const loss = (await value.data())[0];
  tf.dispose([value, ...Object.values(grads)]);
  view.dispose();
  return { loss, data };
}

function assertInsides(got: InsidesData, want: InsidesData, what: string): void {
  assert.equal(got.layers, want.layers, `${what}: layers`);
  assert.deepEqual(Object.keys(got.blocks).sort(), Object.keys(want.blocks).sort(), `${what}: inner nodes`);
  for (const [id, stats] of Object.entries(want.blocks)) {
    const mine = got.blocks[id];
    assert.deepEqual(Object.keys(mine).sort(), Object.keys(stats).sort(), `${what}: numbers of ${id}`);
    for (const [stat, values] of Object.entries(stats) as [keyof typeof stats, number[]][]) {
      assertClose(mine[stat] as number[], values, `${what}: ${id}.${stat}`, TOL);
    }
  }
}

for (const backend of TEST_BACKENDS) {
  for (const c of fixtures.cases) {
    test(`inside view of ${c.name} on ${backend} matches PyTorch's forward hooks and gradients`, async () => {
      await useBackend(backend);
      const model = load(c);
      const [x, y] = [ids(c.x), ids(c.y)];
      const before = tf.memory().numTensors;
      const { loss, data } = await stepInsides(model, x, y);
      assert.equal(tf.memory().numTensors, before, 'the probe leaves no tensor behind');
      assertClose([loss], [c.loss], 'loss', TOL);
      assert.ok(data);
      assertInsides(data, c.insides, c.name);
      const plain = tf.tidy(() => model.forward(x).dataSync());
      const view = new InsideView(model, { inspect_every: 1 });
      const probed = tf.tidy(() => model.forward(x, view.probeFor(0)).dataSync());
      view.dispose();
      assert.deepEqual(probed, plain, 'a probed forward gives the same logits, bit for bit');
      tf.dispose([x, y]);
      model.dispose();
    });
  }
}
