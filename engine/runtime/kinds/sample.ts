// sample: how the node runs (its ports and params: engine/nodes/sample.ts).
import { ByteTokenizer } from '../../data/tokenize/byte';
import { loadTokenizer, type Tokenizer } from '../../data/tokenize/tokenizer';
import { generateAsync } from '../../model/generate';
import type { Gpt } from '../../model/gpt';
import { implementNode } from '../../nodes/define';
import { sample } from '../../nodes/sample';
import { Rng, type RngState } from '../../random';
import type { TokenSplit } from './dataset';

export const sampleImplementation = implementNode(sample, {
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
