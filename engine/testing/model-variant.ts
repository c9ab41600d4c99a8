// Test support: sets an architecture variant on a pipeline document's model, the one place that
// knows how a pipeline spells a GptConfig: a format-3 model holds a subgraph, a format-1/2 model
// flat params (which the migration turns into the subgraph).
import type { GptConfig } from '../model/config';
import { migrateFlatModelParams } from '../model-graph/default-graph';
import { gptConfig, modelNodeParams } from '../nodes/model';

interface PipelineDoc {
  nodes: { id: string; type: string; params?: Record<string, unknown> }[];
}

/**
 * A copy of `pipeline` whose model node (the only one) takes the fields of `variant` on top of
 * what it has; the input is not changed.
 * @example
 *   withModelVariant(loopPipeline(o), { nKvHeads: 1, ffn: 'relu2' }); // the model has 1 kv head and relu²
 */
export function withModelVariant<T extends PipelineDoc>(pipeline: T, variant: Partial<GptConfig>): T {
  const models = pipeline.nodes.filter((n) => n.type === 'model');
  if (models.length !== 1) throw new Error(`withModelVariant: expected one model node, found ${models.length}`);
  const withVariant = (params: Record<string, unknown> = {}) => {
    if (!params.graph) return { ...params, ...modelNodeParams(variant) }; // flat: the migration builds the graph
    return migrateFlatModelParams({ ...modelNodeParams(gptConfig(params)), ...modelNodeParams(variant) });
  };
  return { ...pipeline, nodes: pipeline.nodes.map((n) => (n.type === 'model' ? { ...n, params: withVariant(n.params) } : n)) };
}
