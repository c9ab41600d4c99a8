// Trains the study's inputs with the jax-js GPT (gpt-jax.ts) on one jax-js device; Node or page.
import { blockUntilReady, defaultDevice, init, numpy as np, type Device } from '@jax-js/jax';
import { attentionTables, makeTrainStep, type JaxParams } from './gpt-jax';
import type { StudyInputs, StudyResult } from './study-inputs';

export async function trainJax(inputs: StudyInputs, device: Device, where: string): Promise<StudyResult> {
  const available = await init(device);
  if (!available.includes(device)) throw new Error(`jax-js: device ${device} is not available here`);
  defaultDevice(device);
  const { config: c, batch: B } = inputs;
  const T = c.contextLength;
  const params: JaxParams = {};
  const m: JaxParams = {};
  const v: JaxParams = {};
  const ranks: Record<string, number> = {};
  for (const w of inputs.weights) {
    params[w.name] = np.array(w.data).reshape(w.shape);
    m[w.name] = np.zeros(w.shape);
    v[w.name] = np.zeros(w.shape);
    ranks[w.name] = w.shape.length;
  }
  const step = makeTrainStep(c, inputs.optimizer, ranks);
  const tables = attentionTables(c);
  let state = { params, m, v };
  const losses: number[] = [];
  const stepMs: number[] = [];
  const { beta1, beta2 } = inputs.optimizer;
  for (let t = 1; t <= inputs.batches.length; t++) {
    const { x, y } = inputs.batches[t - 1];
    const started = performance.now();
    const corr = np.array(new Float32Array([1 / (1 - beta1 ** t), 1 / (1 - beta2 ** t)]));
    const xs = np.array(x, { dtype: np.int32 }).reshape([B, T]);
    const ys = np.array(y, { dtype: np.int32 }).reshape([B, T]);
    const [loss, next] = step(state, xs, ys, { cos: tables.cos.ref, sin: tables.sin.ref, mask: tables.mask.ref }, corr);
    state = next;
    losses.push((await loss.data())[0]); // reading the loss waits for the step, as the engine's log does
    await blockUntilReady(state);
    stepMs.push(performance.now() - started);
  }
  // Its wasm device spreads work over a worker pool only where SharedArrayBuffer and Worker exist.
  const pooled =
    device === 'wasm' &&
    typeof SharedArrayBuffer !== 'undefined' &&
    typeof Worker !== 'undefined' &&
    (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  const threads = pooled ? `${(globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 4} workers` : '1 thread';
  return { impl: 'jax-js', device: device === 'wasm' ? `wasm (${threads})` : device, where, losses, stepMs };
}
