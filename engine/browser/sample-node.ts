// The `sample` node for browser runs: the same node (params, RNG, text, checkpoint state) with the
// generation loop reading each row of logits asynchronously (`await data()`) instead of
// `dataSync()`. Why: on WebGPU a synchronous read goes through tfjs's OffscreenCanvas fallback,
// which in Chromium's workers loses the WebGPU context (the next buffer read then fails with "A
// valid external Instance reference no longer exists"); async reads are the normal WebGPU path and
// keep the worker responsive on WebGL too. Same ops and the same sampleFromLogits, so the text is
// the server's for the same weights.
// TODO: drop this once engine/model/generate.ts reads asynchronously (the sample node can await it).
import * as tf from '@tensorflow/tfjs';
import { ByteTokenizer } from '../data/tokenize/byte';
import { loadTokenizer, type Tokenizer } from '../data/tokenize/tokenizer';
import { sampleFromLogits, type GenerateOptions } from '../model/generate';
import type { Gpt } from '../model/gpt';
import type { TokenSplit } from '../nodes/dataset';
import { NODE_KINDS } from '../nodes';
import type { AnyNodeDefinition } from '../nodes/define';
import { createRegistry, type Registry } from '../nodes/registry';
import { sample } from '../nodes/sample';
import { Rng, type RngState } from '../random';

/**
 * engine/model/generate.ts's `generate`, reading the logits with `await data()`.
 * @example await generateAsync(model, [1, 2, 3], 20, { temperature: 0.8, topK: 40, rng: new Rng(7) }); // 20 ids
 */
export async function generateAsync(model: Gpt, prompt: number[], maxNewTokens: number, opts: GenerateOptions): Promise<number[]> {
  if (prompt.length === 0) throw new Error('generate: the prompt needs at least one token');
  const { contextLength, vocabSize } = model.config;
  for (const t of prompt) {
    if (!Number.isInteger(t) || t < 0 || t >= vocabSize) throw new Error(`generate: token ${t} outside [0, ${vocabSize})`);
  }
  const tokens = prompt.slice();
  const out: number[] = [];
  for (let n = 0; n < maxNewTokens; n++) {
    const ctx = tokens.slice(-contextLength);
    const logits = tf.tidy(() => {
      const x = tf.tensor2d(ctx, [1, ctx.length], 'int32');
      const h = model.hidden(x); // [1, T, C]
      const last = tf.slice(h, [0, ctx.length - 1, 0], [1, 1, -1]); // [1, 1, C]: only the last position is needed
      return model.head(last); // [1, 1, V]
    });
    let row: Float32Array;
    try {
      row = (await logits.data()) as Float32Array; // [V]
    } finally {
      logits.dispose();
    }
    const next = sampleFromLogits(row, opts);
    tokens.push(next);
    out.push(next);
  }
  return out;
}

/** engine/nodes/sample.ts with generateAsync; everything else is that node's. */
export const sampleAsync: typeof sample = {
  ...sample,
  async create(p, setup) {
    const gpt = setup.inputs.model as Gpt;
    const split = setup.inputs.data as TokenSplit | undefined;
    const tokenizer: Tokenizer = split?.tokenizer ? await loadTokenizer(split.tokenizer) : new ByteTokenizer();
    const prompt = tokenizer.encode(p.prompt);
    const promptIds = Array.from(prompt.length ? prompt : [0]);
    const tooBig = promptIds.find((id) => id >= gpt.config.vocabSize);
    if (tooBig !== undefined) throw new Error(`prompt token ${tooBig} is outside the model's vocabulary (${gpt.config.vocabSize})`);
    const rng = new Rng(p.seed);
    return {
      async step(_inputs, ctx) {
        const done = ctx.step + 1;
        if (done % p.every !== 0 && done !== ctx.totalSteps) return;
        const ids = await generateAsync(gpt, promptIds, p.max_new_tokens, { temperature: p.temperature, topK: p.top_k, rng });
        const text = p.prompt + tokenizer.decode(ids);
        ctx.emit({ type: 'sample', nodeId: ctx.nodeId, step: done, data: { text, tokens: ids.length } });
        await ctx.io.appendSample(JSON.stringify({ step: done, node: ctx.nodeId, text }));
      },
      saveState: () => ({ json: { rng: rng.getState() } }),
      loadState(state) {
        const saved = (state.json as { rng?: RngState } | undefined)?.rng;
        if (saved) rng.setState(saved);
      },
    };
  },
};

/** The node registry browser runs use: the built-in one with sampleAsync for `sample`. */
export const browserRegistry: Registry = createRegistry(
  NODE_KINDS.map((def) => (def.kind === 'sample' ? (sampleAsync as unknown as AnyNodeDefinition) : def)),
);
