// The fields of a model block as sweeps, live edits, forks and the diff address them: the block's
// own `context_length`, every inner param as "<innerId>.<param>" (`attn.n_kv_heads`, `blocks.n`),
// and the flat names of format 1/2 (`d_model`, `n_heads`, ...) as aliases of the inner params
// that hold them now, so requests written against the old names keep their meaning.
import { FLAT_MODEL_FIELDS } from './default-graph';
import { DEFAULT_INSPECT_EVERY } from './insides';
import { innerNodes, ROLE_IDS as R, type InnerGraph, type InnerNode } from './graph';
import { modelGraphRegistry } from './kinds';
import { resolveGptConfig, type GptConfig, type ResolvedGptConfig } from '../model/config';

/** A flat (format 1/2) name -> the inner params it reads and writes, and how its value maps. */
interface Alias {
  paths: string[];
  toInner?: (v: unknown) => unknown;
}

const ALIASES: Record<string, Alias> = {
  vocab_size: { paths: [`${R.embedding}.vocab_size`] },
  d_model: { paths: [`${R.embedding}.d_model`] },
  n_layers: { paths: [`${R.repeat}.n`] },
  n_heads: { paths: [`${R.attention}.n_heads`] },
  n_kv_heads: { paths: [`${R.attention}.n_kv_heads`] },
  head_dim: { paths: [`${R.attention}.head_dim`] },
  qk_norm: { paths: [`${R.attention}.qk_norm`] },
  d_ff: { paths: [`${R.ffn}.d_ff`] },
  ffn: { paths: [`${R.ffn}.kind`] },
  rope_theta: { paths: [`${R.positions}.theta`] },
  positions: { paths: [`${R.positions}.kind`] },
  norm: { paths: [R.norm1, R.norm2, R.finalNorm].map((id) => `${id}.kind`) },
  norm_eps: { paths: [R.norm1, R.norm2, R.finalNorm].map((id) => `${id}.eps`) },
  norm_learnable: { paths: [R.norm1, R.norm2, R.finalNorm].map((id) => `${id}.learnable`) },
  tie_embeddings: { paths: [`${R.head}.weights`], toInner: (v) => (v === true ? 'tied' : v === false ? 'untied' : v) },
};

/** The block's own params (not inside its graph). */
const OWN_FIELDS = ['context_length', 'inspect_every'];

/** The model params of format 3: the block's own and its graph. */
export interface ModelParams {
  context_length?: unknown;
  graph?: InnerGraph;
  [key: string]: unknown;
}

function findInner(graph: InnerGraph | undefined, id: string): InnerNode | undefined {
  return graph ? innerNodes(graph).find((e) => e.node.id === id)?.node : undefined;
}

/** Whether `field` addresses something in this model: its own param, an inner param, or an alias of one. */
export function hasModelField(params: ModelParams, field: string): boolean {
  if (OWN_FIELDS.includes(field)) return true;
  if (Object.hasOwn(ALIASES, field)) return ALIASES[field].paths.some((path) => hasModelField(params, path));
  const [id, param] = splitPath(field);
  const node = findInner(params.graph, id);
  const shape = node && modelGraphRegistry.get(node.type)?.params.shape;
  return !!shape && Object.hasOwn(shape, param);
}

function splitPath(field: string): [string, string] {
  const dot = field.lastIndexOf('.');
  return dot < 0 ? [field, ''] : [field.slice(0, dot), field.slice(dot + 1)];
}

/**
 * A copy of the params with `field` set (an alias sets each inner param it stands for that exists).
 * @example setModelField(p, 'attn.n_kv_heads', 2); setModelField(p, 'd_model', 64) // wte.d_model
 */
export function setModelField(params: ModelParams, field: string, value: unknown): ModelParams {
  if (OWN_FIELDS.includes(field) || !params.graph) return { ...params, [field]: value };
  const copy = structuredClone(params) as ModelParams;
  const alias = Object.hasOwn(ALIASES, field) ? ALIASES[field] : undefined;
  const paths = alias ? alias.paths.filter((path) => hasModelField(params, path)) : [field];
  for (const path of paths) {
    const [id, param] = splitPath(path);
    const node = findInner(copy.graph, id);
    if (node) node.params = { ...node.params, [param]: alias?.toInner ? alias.toInner(value) : value };
  }
  return copy;
}

/** The inner param a flat alias stands for first (for messages and the inspector); the field itself otherwise. */
export function canonicalModelField(field: string): string {
  return (Object.hasOwn(ALIASES, field) ? ALIASES[field].paths[0] : undefined) ?? field;
}

/**
 * Every inner param by path, defaults filled in (`attn.n_kv_heads: 0`), each inner node's kind by
 * its id, the wires (`wires`), and the block's `context_length` and `inspect_every`: what the diff compares.
 */
export function modelFieldValues(params: ModelParams): Record<string, unknown> {
  const out: Record<string, unknown> = { context_length: params.context_length, inspect_every: params.inspect_every ?? DEFAULT_INSPECT_EVERY };
  for (const { node } of params.graph ? innerNodes(params.graph) : []) {
    const def = modelGraphRegistry.get(node.type);
    const parsed = def?.params.safeParse(node.params ?? {});
    const values = parsed?.success ? (parsed.data as Record<string, unknown>) : (node.params ?? {});
    out[node.id] = node.type;
    for (const [key, value] of Object.entries(values)) out[`${node.id}.${key}`] = value;
  }
  const wires = (g: InnerGraph) => g.edges.map((e) => `${e.source}.${e.sourceHandle} -> ${e.target}.${e.targetHandle}`);
  if (params.graph) out.wires = [...wires(params.graph), ...params.graph.nodes.flatMap((n) => (n.graph ? wires(n.graph) : []))].sort();
  return out;
}

/** The model at a glance in the flat names (d_model, n_layers, ...), for display and shape checks. */
export interface ModelSummary {
  vocab_size: number;
  context_length: number;
  d_model: number;
  n_layers: number;
  n_heads: number;
  d_ff: number;
  rope_theta: number;
  norm: GptConfig['norm'];
  ffn: GptConfig['ffn'];
  tie_embeddings: boolean;
  norm_eps: number;
  positions: ResolvedGptConfig['positions'];
  n_kv_heads: number;
  head_dim: number;
  qk_norm: boolean;
  norm_placement: ResolvedGptConfig['normPlacement'];
  norm_learnable: boolean;
  final_norm: boolean;
}
/** The flat names, one per field of the format-1/2 model params. */
export const MODEL_SUMMARY_FIELDS: readonly (keyof ModelSummary)[] = FLAT_MODEL_FIELDS;

/**
 * A compiled config in the flat names, every variant filled in.
 * @example modelSummary(config).d_model // 128
 */
export function modelSummary(config: GptConfig): ModelSummary {
  return flatModelParams(resolveGptConfig(config)) as unknown as ModelSummary;
}

/**
 * The fields `config` sets, in the flat names (unset optional fields stay unset).
 * @example flatModelParams({ nKvHeads: 2 }) // { n_kv_heads: 2 }
 */
export function flatModelParams(config: Partial<GptConfig>): Partial<Record<keyof ModelSummary, unknown>> {
  // In FLAT_NAME's order (config.json's), whatever order the config's keys came in.
  const keys = (Object.keys(FLAT_NAME) as (keyof GptConfig)[]).filter((key) => config[key] !== undefined);
  return Object.fromEntries(keys.map((key) => [FLAT_NAME[key], config[key]]));
}

export const FLAT_NAME: Record<keyof GptConfig, keyof ModelSummary> = {
  vocabSize: 'vocab_size',
  contextLength: 'context_length',
  dModel: 'd_model',
  nLayers: 'n_layers',
  nHeads: 'n_heads',
  dFF: 'd_ff',
  ropeTheta: 'rope_theta',
  norm: 'norm',
  ffn: 'ffn',
  tieEmbeddings: 'tie_embeddings',
  normEps: 'norm_eps',
  positions: 'positions',
  nKvHeads: 'n_kv_heads',
  headDim: 'head_dim',
  qkNorm: 'qk_norm',
  normPlacement: 'norm_placement',
  normLearnable: 'norm_learnable',
  finalNorm: 'final_norm',
};

/**
 * The settings two compiled models differ in, in the flat names; a value derived from others
 * (head_dim from d_model / n_heads) is not a change of its own.
 * @example modelConfigChanges(a, { ...a, dModel: 64 }) // [{ field: 'd_model', old: 128, new: 64 }]
 */
export function modelConfigChanges(a: GptConfig, b: GptConfig): { field: keyof ModelSummary; old: unknown; new: unknown }[] {
  const [ra, rb] = [resolveGptConfig(a), resolveGptConfig(b)];
  return (Object.keys(FLAT_NAME) as (keyof GptConfig)[])
    .filter((key) => JSON.stringify(ra[key]) !== JSON.stringify(rb[key]))
    .filter((key) => !(key === 'headDim' && a.headDim === undefined && b.headDim === undefined))
    .filter((key) => !(key === 'nKvHeads' && a.nKvHeads === undefined && b.nKvHeads === undefined))
    .map((key) => ({ field: FLAT_NAME[key], old: ra[key], new: rb[key] }));
}
