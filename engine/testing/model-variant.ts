// Test support: sets an architecture variant on a pipeline document's model, the one place that
// knows how a pipeline spells a GptConfig (today the flat params of the `model` node).
import type { GptConfig } from '../model/config';
import { modelNodeParams } from '../nodes/model';

interface PipelineDoc {
  nodes: { id: string; type: string; params?: Record<string, unknown> }[];
}

/**
 * A copy of `pipeline` whose model node (the only one) takes the fields of `variant` on top of
 * its params; the input is not changed.
 * @example
 *   withModelVariant(loopPipeline(o), { nKvHeads: 1, ffn: 'relu2' }); // model.params.n_kv_heads = 1, ffn = 'relu2'
 */
export function withModelVariant<T extends PipelineDoc>(pipeline: T, variant: Partial<GptConfig>): T {
  const models = pipeline.nodes.filter((n) => n.type === 'model');
  if (models.length !== 1) throw new Error(`withModelVariant: expected one model node, found ${models.length}`);
  const params = modelNodeParams(variant as GptConfig); // only the fields variant sets
  return {
    ...pipeline,
    nodes: pipeline.nodes.map((n) => (n.type === 'model' ? { ...n, params: { ...n.params, ...params } } : n)),
  };
}
