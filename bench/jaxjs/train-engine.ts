// Trains the study's inputs with the engine's GPT and AdamW on the active tfjs backend; Node or page.
import * as tf from '@tensorflow/tfjs-core';
import { crossEntropy, Gpt } from '../../engine/model/gpt';
import { createOptimizer } from '../../engine/optim/optimizers';
import type { StudyInputs, StudyResult } from './study-inputs';

export async function trainEngine(inputs: StudyInputs, device: string, where: string): Promise<StudyResult> {
  const { config: c, batch: B } = inputs;
  const T = c.contextLength;
  const model = new Gpt(c, 0);
  const weights = new Map(inputs.weights.map((w) => [w.name, tf.tensor(w.data, w.shape)]));
  model.loadWeights(weights);
  tf.dispose([...weights.values()]);
  const { lr, beta1, beta2, eps, weightDecay } = inputs.optimizer;
  const opt = createOptimizer(model.params, {
    kind: 'adamw',
    beta1,
    beta2,
    eps,
    weightDecay,
    decayNormsAndBiases: false,
    momentum: 0,
    nesterov: false,
    dampening: 0,
    initialAccumulator: 0,
  });
  const vars = [...model.params.values()];
  const losses: number[] = [];
  const stepMs: number[] = [];
  for (const { x, y } of inputs.batches) {
    const started = performance.now();
    const xs = tf.tensor2d(x, [B, T], 'int32');
    const ys = tf.tensor2d(y, [B, T], 'int32');
    const { value, grads } = tf.variableGrads(() => crossEntropy(model.forward(xs), ys), vars);
    const byName = new Map([...model.params].map(([name, p]) => [name, grads[p.name]]));
    opt.step(byName, lr);
    losses.push((await value.data())[0]);
    tf.dispose([value, xs, ys, ...Object.values(grads)]);
    stepMs.push(performance.now() - started);
  }
  return { impl: 'engine', device, where, losses, stepMs };
}
