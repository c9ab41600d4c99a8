// The study's inputs: config R (bench/configs.ts), the engine's initial weights for seed 0 and
// batches of the bundled Brown corpus as bytes, windows drawn with the engine's Rng.
import * as tf from '@tensorflow/tfjs-core';
import { Gpt } from '../../engine/model/gpt';
import { readBrownText } from '../../engine/node/corpus';
import { useBackend } from '../../engine/node/backend';
import { Rng } from '../../engine/random';
import { CONFIG_R } from '../configs';
import type { StudyInputs } from './study-inputs';

export async function makeStudyInputs(steps: number, batch = 16): Promise<StudyInputs> {
  await useBackend('cpu');
  const config = CONFIG_R;
  const model = new Gpt(config, 0);
  const weights = [...model.params].map(([name, p]) => ({ name, shape: p.shape, data: p.dataSync() as Float32Array }));
  tf.dispose([...model.params.values()]);
  const bytes = new TextEncoder().encode(await readBrownText());
  const rng = new Rng(1);
  const T = config.contextLength;
  const batches = Array.from({ length: steps }, () => {
    const x = new Int32Array(batch * T);
    const y = new Int32Array(batch * T);
    for (let b = 0; b < batch; b++) {
      const start = rng.index(bytes.length - T - 1);
      for (let t = 0; t < T; t++) {
        x[b * T + t] = bytes[start + t];
        y[b * T + t] = bytes[start + t + 1];
      }
    }
    return { x, y };
  });
  return { config, batch, weights, batches, optimizer: { lr: 1e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 } };
}
