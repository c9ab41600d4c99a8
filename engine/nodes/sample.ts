// sample: generates text from the model every N steps (temperature, top-k), decoded with the
// dataset's tokenizer, so you can read what the model has learned so far.
import { z } from 'zod';
import { ByteTokenizer } from '../data/tokenize/byte';
import { loadTokenizer, type Tokenizer } from '../data/tokenize/tokenizer';
import type { Gpt } from '../model/gpt';
import { generateAsync } from '../model/generate';
import { Rng, type RngState } from '../random';
import type { TokenSplit } from './dataset';
import { defineNode, port } from './define';

export const sample = defineNode({
  kind: 'sample',
  title: 'Sample text',
  category: 'outputs',
  description: 'Generates text from a prompt every N steps, with temperature and top-k.',
  version: 1,
  inputs: {
    model: port('Model', 'model'),
    data: port('TokenSource', 'tokenizer', { optional: true, description: 'decode with this dataset\'s tokenizer (default: bytes)' }),
  },
  outputs: {},
  params: z.object({
    every: z.number().int().min(1).default(200).describe('steps between samples (and at the end)'),
    prompt: z.string().max(2000).default('The ').describe('text the generation starts from'),
    max_new_tokens: z.number().int().min(1).max(4096).default(120).describe('tokens to generate'),
    temperature: z.number().positive().max(10).default(0.8).describe('below 1 sharper, above 1 more random'),
    top_k: z.number().int().min(0).max(1_000_000).default(40).describe('sample among the k likeliest tokens; 0 = all'),
    seed: z.number().int().min(0).max(2 ** 32 - 1).default(7).describe('seed of the sampler'),
  }),
  hot: ['every', 'max_new_tokens', 'temperature', 'top_k'],
  summary: ['every', 'temperature', 'top_k'],
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
        // Reads logits with `await data()`: synchronous reads break WebGPU (in workers and Node).
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
});
