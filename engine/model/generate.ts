// Autoregressive sampling from a Gpt, for the `sample` node. Draws come from the portable Rng
// (not tf.multinomial), so a seed gives the same text on every backend and in the PyTorch export.
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../random';
import type { Gpt } from './gpt';

export interface GenerateOptions {
  temperature: number; // divides the logits; <= 0 means greedy (argmax)
  topK: number; // keep only the k most likely tokens before sampling; 0 = off
  rng: Rng; // source of the uniform draws, one per generated token (none when greedy)
}

/**
 * Picks the next token from one row of logits: temperature, top-k, then one inverse-CDF draw.
 * Exported for tests; computed in float64 on the host.
 */
export function sampleFromLogits(logits: ArrayLike<number>, opts: GenerateOptions): number {
  const V = logits.length;
  let best = 0;
  for (let i = 1; i < V; i++) if (logits[i] > logits[best]) best = i;
  if (opts.temperature <= 0 || opts.topK === 1) return best; // greedy: no draw consumed
  // Top-k: keep every logit >= the k-th largest (ties at the threshold are all kept).
  let threshold = -Infinity;
  if (opts.topK > 0 && opts.topK < V) {
    const sorted = Array.from(logits).sort((a, b) => b - a);
    threshold = sorted[opts.topK - 1];
  }
  const max = logits[best];
  const weights = new Float64Array(V);
  let total = 0;
  for (let i = 0; i < V; i++) {
    if (logits[i] < threshold) continue;
    weights[i] = Math.exp((logits[i] - max) / opts.temperature);
    total += weights[i];
  }
  let u = opts.rng.uniform() * total;
  for (let i = 0; i < V; i++) {
    if (weights[i] === 0) continue;
    u -= weights[i];
    if (u < 0) return i;
  }
  return best; // only reachable through float rounding at the very end of the CDF
}

/**
 * Generates `maxNewTokens` token ids after `prompt`, feeding at most the last contextLength
 * tokens each step; returns only the new ids.
 * @example
 *   generate(model, [1, 2, 3], 20, { temperature: 0.8, topK: 40, rng: new Rng(7) }); // 20 ids
 */
export function generate(model: Gpt, prompt: number[], maxNewTokens: number, opts: GenerateOptions): number[] {
  checkPrompt(model, prompt);
  const tokens = prompt.slice();
  const out: number[] = [];
  for (let n = 0; n < maxNewTokens; n++) {
    const ctx = tokens.slice(-model.config.contextLength);
    const row = tf.tidy(() => lastLogits(model, ctx).dataSync() as Float32Array); // [V]
    const next = sampleFromLogits(row, opts);
    tokens.push(next);
    out.push(next);
  }
  return out;
}

/**
 * generate() with asynchronous reads of the logits: the same tokens, and it also works where a
 * backend cannot read synchronously (tfjs-backend-webgpu in Node has no OffscreenCanvas for
 * dataSync), and leaves the event loop free between tokens.
 * @example
 *   await generateAsync(model, [1, 2, 3], 20, { temperature: 0.8, topK: 40, rng: new Rng(7) }); // 20 ids
 */
export async function generateAsync(model: Gpt, prompt: number[], maxNewTokens: number, opts: GenerateOptions): Promise<number[]> {
  checkPrompt(model, prompt);
  const tokens = prompt.slice();
  const out: number[] = [];
  for (let n = 0; n < maxNewTokens; n++) {
    const logits = tf.tidy(() => lastLogits(model, tokens.slice(-model.config.contextLength)));
    const row = (await logits.data()) as Float32Array; // [V]
    logits.dispose();
    const next = sampleFromLogits(row, opts);
    tokens.push(next);
    out.push(next);
  }
  return out;
}

function checkPrompt(model: Gpt, prompt: number[]): void {
  if (prompt.length === 0) throw new Error('generate: the prompt needs at least one token');
  const { vocabSize } = model.config;
  for (const t of prompt) {
    if (!Number.isInteger(t) || t < 0 || t >= vocabSize) throw new Error(`generate: token ${t} outside [0, ${vocabSize})`);
  }
}

/** Logits at the last position of ctx: int ids -> [V]. Only that position goes through the head. */
function lastLogits(model: Gpt, ctx: number[]): tf.Tensor {
  const x = tf.tensor2d(ctx, [1, ctx.length], 'int32');
  const h = model.hidden(x); // [1, T, C]
  const last = tf.slice(h, [0, ctx.length - 1, 0], [1, 1, -1]); // [1, 1, C]
  return tf.reshape(model.head(last), [-1]); // [1, 1, V] -> [V]
}
