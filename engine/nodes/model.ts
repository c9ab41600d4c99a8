// model: a decoder-only transformer, one block outside whose insides are a subgraph
// (engine/model-graph/): embedding → positions → [transformer block × N] → norm → LM head.
// The subgraph compiles to the engine's GptConfig (engine/model/gpt.ts builds it).
import { z } from 'zod';
import type { GptConfig } from '../model/config';
import { compileModelGraph, type ModelCompilation } from '../model-graph/compile';
import { migrateFlatModelParams, modelGraphFromFlat } from '../model-graph/default-graph';
import { flatModelParams, hasModelField, modelFieldValues, modelSummary, setModelField, type ModelParams, type ModelSummary } from '../model-graph/fields';
import { InnerGraph } from '../model-graph/graph';
import { DEFAULT_INSPECT_EVERY } from '../model-graph/insides';
import type { ModelIssue } from '../model-graph/issues';
import { defineNode, port, type ParamIssue } from './define';

const params = z.object({
  context_length: z.number().int().min(1).max(65_536).default(64).describe('longest sequence the model sees (T)'),
  graph: InnerGraph.default(() => modelGraphFromFlat({})).describe('the model inside: open the block to edit it'),
  inspect_every: z.number().int().min(0).default(DEFAULT_INSPECT_EVERY).describe('steps between inside views (per-layer numbers on the blocks inside); 0: off'),
});

export type ModelNodeParams = z.infer<typeof params>;

/** What a model node compiles to: the config when its graph is sound, and the problems inside. */
export interface ModelConfigResult {
  config?: GptConfig;
  issues: ModelIssue[];
  /** The model in flat names (d_model, n_layers, ...) when it compiles. */
  summary?: ModelSummary;
}

const compiled = new WeakMap<object, ModelConfigResult>();

/**
 * The one way to read a model node: its GptConfig (from the subgraph), or why there is none.
 * Params of any format are accepted (flat format-1/2 params are read as their migrated graph).
 * @example modelConfigOf(plan.nodes.find((n) => n.kind === 'model')!).summary?.d_model // 128
 */
export function modelConfigOf(node: { params: Record<string, unknown> }): ModelConfigResult {
  const cached = compiled.get(node.params);
  if (cached) return cached;
  const p = (node.params.graph ? node.params : migrateFlatModelParams(node.params)) as ModelParams;
  const parsed = params.safeParse(p);
  let result: ModelConfigResult;
  if (!parsed.success) {
    result = { issues: parsed.error.issues.map((i) => ({ code: 'invalid-param', field: i.path.map(String).join('.'), message: i.message })) };
  } else {
    const out: ModelCompilation = compileModelGraph(parsed.data.graph, parsed.data.context_length);
    result = out.config ? { config: out.config, issues: [], summary: modelSummary(out.config) } : { issues: out.issues };
  }
  compiled.set(node.params, result);
  return result;
}

/** The engine's GptConfig for a model node's (valid) params; throws on a graph the compiler refuses. */
export function gptConfig(p: Record<string, unknown>): GptConfig {
  const { config, issues } = modelConfigOf({ params: p });
  if (!config)
    throw new Error(`the model does not compile: ${issues.map((i) => `${i.innerNodeId ?? 'model'}${i.field ? `.${i.field}` : ''}: ${i.message}`).join('; ')}`);
  return config;
}

/** An inner problem as a problem of the block: field `<innerId>.<param>`. */
function asParamIssue(issue: ModelIssue): ParamIssue {
  const field = [issue.innerNodeId, issue.field].filter(Boolean).join('.');
  return { field, message: issue.message, code: issue.code, ...(issue.innerNodeId ? { innerNodeId: issue.innerNodeId } : {}) };
}

export const model = defineNode({
  kind: 'model',
  title: 'GPT model',
  category: 'model',
  description: 'A decoder-only transformer: token ids in, next-token logits out. Open it to see and edit its layers.',
  version: 3,
  // Version 1 held the flat params (d_model, n_layers, ...); version 2 holds the subgraph;
  // version 3 adds inspect_every (absent: the default).
  migrate: (old, from) => {
    const graphed = from < 2 && !old.graph ? migrateFlatModelParams(old) : old;
    return from < 3 && graphed.inspect_every === undefined ? { ...graphed, inspect_every: DEFAULT_INSPECT_EVERY } : graphed;
  },
  inputs: { x: port('Tokens', 'x') },
  outputs: { logits: port('Logits', 'logits'), model: port('Model', 'model') },
  params,
  hot: ['inspect_every'],
  summary: [], // the compiled sizes (facts) say more; context_length shows on get_batch
  composite: { has: hasModelField, set: setModelField, values: modelFieldValues },
  facts: (p) => {
    const s = modelConfigOf({ params: p }).summary;
    return s ? { d_model: s.d_model, n_layers: s.n_layers, n_heads: s.n_heads, vocab_size: s.vocab_size } : {};
  },
  check(p, ctx) {
    const issues = modelConfigOf({ params: p }).issues.map(asParamIssue);
    const feeder = ctx.upstream('x');
    const T = feeder?.params.context_length;
    if (typeof T === 'number' && T > p.context_length) {
      issues.push({ field: 'context_length', message: `is ${p.context_length}, but ${feeder!.kind} sends sequences of ${T} tokens` });
    }
    return issues;
  },
});

/**
 * One number of a model node's compiled config in the flat names; NaN when the model does not compile.
 * @example modelNumber(modelNode, 'd_model') // 128
 */
export function modelNumber(node: { params: Record<string, unknown> }, key: keyof ModelSummary): number {
  return Number(modelConfigOf(node).summary?.[key] ?? NaN);
}

/**
 * The format-2 flat params (vocab_size, d_model, ..., the variant fields) for a GptConfig: what a
 * format-2 document spells and the migration reads (normEps has no param and keeps its default).
 * Unset optional fields stay unset.
 * @example
 *   modelNodeParams({ ...cfg, nKvHeads: 2 }).n_kv_heads; // 2
 */
export function modelNodeParams(c: Partial<GptConfig>): Record<string, unknown> {
  return flatModelParams(c);
}
