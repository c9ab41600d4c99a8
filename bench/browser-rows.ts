// Shared by bench/browser.ts and its node rows: which steps are timed, the median, and the pipeline
// a --pipeline name stands for (a bundled pipeline, or config R of `npm run bench` on the bundled corpus).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pipeline } from '../engine/pipeline/schema';
import { benchConfig } from './configs';

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

/** Steps 4..n-1: the first steps compile shaders and warm caches; the last one may include teardown. */
export const timedSteps = <T>(xs: T[]) => xs.slice(3, -1);

/**
 * The pipeline to time, with eval, sampling and checkpoints pushed past the last step. 'R' is the
 * smoke pipeline with config R's model and batch (bench/configs.ts), on the bundled byte corpus.
 */
export function benchBrowserPipeline(root: string, name: string): Pipeline {
  const file = name === 'R' ? 'smoke' : name;
  const pipeline = JSON.parse(readFileSync(join(root, 'pipelines', `${file}.json`), 'utf8')) as Pipeline;
  const R = name === 'R' ? benchConfig('R') : undefined;
  for (const node of pipeline.nodes) {
    if (node.type === 'eval' || node.type === 'sample' || node.type === 'checkpoint') node.params = { ...node.params, every: 1_000_000 };
    if (node.type === 'checkpoint') node.params = { ...node.params, at_end: false };
    if (R && node.type === 'get_batch') node.params = { ...node.params, batch_size: R.batch, context_length: R.model.contextLength };
    if (R && node.type === 'model') {
      const m = R.model;
      node.params = {
        ...node.params,
        vocab_size: m.vocabSize,
        context_length: m.contextLength,
        d_model: m.dModel,
        n_layers: m.nLayers,
        n_heads: m.nHeads,
        d_ff: m.dFF,
        rope_theta: m.ropeTheta,
        norm: m.norm,
        ffn: m.ffn,
        tie_embeddings: m.tieEmbeddings,
      };
    }
  }
  return pipeline;
}
