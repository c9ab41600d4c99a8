// Compiles a model block's subgraph into the engine's GptConfig: resolve inner kinds and params,
// check each level's wires, recognise the architecture from the wiring (structure.ts), then map
// the role nodes' params onto the config and address every problem to the inner node and field.
import { DEFAULT_NORM_EPS, validateGptConfig, type GptConfig, type GptConfigIssue } from '../model/config';
import type { AnyNodeDefinition } from '../nodes/define';
import { innerNodes, type InnerGraph, type InnerNode } from './graph';
import type { ModelIssue } from './issues';
import { BLOCK_BOUNDARY_KINDS, modelGraphRegistry } from './kinds';
import { blockStructure, modelChain, roleIdIssues, type Roles } from './structure';
import { checkWiring } from './wiring';

export interface ModelCompilation {
  /** The engine's config; undefined when there are issues. */
  config?: GptConfig;
  issues: ModelIssue[];
  /** Resolved params (defaults filled) of every inner node that parsed, by id. */
  params: Map<string, Record<string, unknown>>;
  roles?: Roles;
}

/**
 * The GptConfig a model block's subgraph describes, or the problems inside it.
 * @example compileModelGraph(modelGraphFromFlat({ d_model: 64 }), 64).config?.dModel // 64
 */
export function compileModelGraph(graph: InnerGraph, contextLength: number): ModelCompilation {
  const issues: ModelIssue[] = [];
  const { defs, params } = resolveInnerNodes(graph, issues);
  const top = checkWiring(graph, defs, issues);
  const repeats = graph.nodes.filter((n) => n.type === 'repeat');
  const blocks = repeats.map((r) => ({ repeat: r, wiring: checkWiring(r.graph ?? { nodes: [], edges: [] }, defs, issues) }));
  // The architecture is read from the wires, so broken wiring stops here; bad params do not.
  if (!top.ok || !blocks.every((b) => b.wiring.ok)) return { issues, params };
  const chain = modelChain(graph.nodes, top.readers, issues);
  const block = chain && blockStructure(chain.repeat, blocks.find((b) => b.repeat === chain.repeat)!.wiring.inputs, issues);
  if (!chain || !block) return { issues, params };
  const roles: Roles = { ...chain, ...block };
  issues.push(...roleIdIssues(roles));
  const roleNodes = [roles.embedding, roles.positions, roles.repeat, roles.finalNorm, roles.head, roles.attention, roles.ffn, ...roles.blockNorms];
  if (roleNodes.some((n) => n && !params.has(n.id))) return { issues, params, roles };
  issues.push(...sharedNormIssues(roles, params), ...headIssues(roles, params));
  const config = configOf(roles, params, contextLength);
  issues.push(
    ...dedupe(
      issues,
      validateGptConfig(config).map((i) => addressed(i, roles)),
    ),
  );
  return issues.length ? { issues, params, roles } : { config, issues, params, roles };
}

/** Kinds known, ids unique across the whole model, boundary kinds in the block only, params parsed and checked. */
function resolveInnerNodes(graph: InnerGraph, issues: ModelIssue[]) {
  const defs = new Map<string, AnyNodeDefinition>();
  const params = new Map<string, Record<string, unknown>>();
  for (const { node, repeat } of innerNodes(graph)) {
    const at = (message: string, field?: string) => issues.push({ code: 'invalid-param', innerNodeId: node.id, ...(field ? { field } : {}), message });
    const def = modelGraphRegistry.get(node.type);
    if (defs.has(node.id) || params.has(node.id)) {
      issues.push({
        code: 'duplicate-id',
        innerNodeId: node.id,
        message: `two nodes inside the model are called '${node.id}' (ids name parameters, so they must differ)`,
      });
      continue;
    }
    if (!def) {
      issues.push({
        code: 'unknown-type',
        innerNodeId: node.id,
        field: 'type',
        message: `'${node.type}' is not a node kind inside a model (kinds: ${[...modelGraphRegistry.keys()].join(', ')})`,
      });
      continue;
    }
    const inBlock = repeat !== undefined;
    if (def.kind === 'repeat' ? inBlock : BLOCK_BOUNDARY_KINDS.includes(def.kind) && !inBlock) {
      at(repeat ? `a ${def.kind} cannot be inside the transformer block` : `a ${def.kind} belongs inside the transformer block (the repeat)`, 'type');
      continue;
    }
    if (def.kind === 'repeat' && !node.graph) at('holds no block: a repeat carries the transformer block as its graph', 'graph');
    if (def.kind !== 'repeat' && node.graph) at(`a ${def.kind} holds no graph (only a repeat does)`, 'graph');
    defs.set(node.id, def);
    const parsed = def.params.strict().safeParse(node.params ?? {});
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const field = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.map(String).join('.');
        at(issue.code === 'unrecognized_keys' ? `unknown param for ${def.kind}` : issue.message, field);
      }
      continue;
    }
    const resolved = parsed.data as Record<string, unknown>;
    params.set(node.id, resolved);
    for (const issue of def.check?.(resolved, { upstream: () => undefined, nodesOfKind: () => [] }) ?? []) {
      issues.push({ code: 'bad-shape', innerNodeId: node.id, field: issue.field, message: issue.message });
    }
  }
  return { defs, params };
}

/** The engine builds one kind of norm per model: every norm agrees with the first. */
function sharedNormIssues(roles: Roles, params: Map<string, Record<string, unknown>>): ModelIssue[] {
  const norms = [...roles.blockNorms, ...(roles.finalNorm ? [roles.finalNorm] : [])];
  const [first, ...rest] = norms;
  if (!first) return [];
  const issues: ModelIssue[] = [];
  for (const other of rest) {
    for (const field of ['kind', 'eps', 'learnable']) {
      const [a, b] = [params.get(first.id)![field], params.get(other.id)![field]];
      if (a !== b)
        issues.push({
          code: 'bad-shape',
          innerNodeId: other.id,
          field,
          message: `is ${String(b)}, but ${first.id}'s is ${String(a)}: the model's norms share one ${field}`,
        });
    }
  }
  return issues;
}

/** A tied head shares the embedding's matrix, so tied_to can only name that embedding. */
function headIssues(roles: Roles, params: Map<string, Record<string, unknown>>): ModelIssue[] {
  const head = params.get(roles.head.id)!;
  if (head.weights !== 'tied' || head.tied_to === undefined || head.tied_to === roles.embedding.id) return [];
  return [
    {
      code: 'bad-shape',
      innerNodeId: roles.head.id,
      field: 'tied_to',
      message: `names '${String(head.tied_to)}', which is not this model's embedding ('${roles.embedding.id}')`,
    },
  ];
}

/** The role nodes' params as the engine's config; variant fields only when away from the default GPT. */
function configOf(roles: Roles, params: Map<string, Record<string, unknown>>, contextLength: number): GptConfig {
  const p = (node: InnerNode | undefined) => (node ? params.get(node.id)! : {}) as Record<string, never>;
  const [emb, pos, attn, ffn, head] = [p(roles.embedding), p(roles.positions), p(roles.attention), p(roles.ffn), p(roles.head)];
  const anyNorm = p(roles.blockNorms[0] ?? roles.finalNorm);
  const positions = roles.positions ? (pos.kind as 'rope' | 'learned' | 'none') : 'none';
  const config: GptConfig = {
    vocabSize: emb.vocab_size,
    contextLength,
    dModel: emb.d_model,
    nLayers: p(roles.repeat).n,
    nHeads: attn.n_heads,
    dFF: ffn.d_ff,
    ropeTheta: positions === 'rope' ? pos.theta : 10_000,
    norm: anyNorm.kind ?? 'rmsnorm',
    ffn: ffn.kind,
    tieEmbeddings: head.weights === 'tied',
  };
  if (anyNorm.eps !== undefined && anyNorm.eps !== DEFAULT_NORM_EPS) config.normEps = anyNorm.eps;
  if (positions !== 'rope') config.positions = positions;
  if (attn.n_kv_heads > 0) config.nKvHeads = attn.n_kv_heads;
  if (attn.head_dim > 0) config.headDim = attn.head_dim;
  if (attn.qk_norm) config.qkNorm = true;
  if (roles.placement !== 'pre') config.normPlacement = roles.placement;
  if (anyNorm.learnable === false) config.normLearnable = false;
  if (!roles.finalNorm) config.finalNorm = false;
  return config;
}

/** Where a config field lives in the graph: [inner node, param]. */
function locate(field: GptConfigIssue['field'], message: string, r: Roles): [InnerNode | undefined, string] {
  const norm = r.blockNorms[0] ?? r.finalNorm;
  switch (field) {
    case 'vocabSize':
      return [r.embedding, 'vocab_size'];
    case 'contextLength':
      return [undefined, 'context_length'];
    // "must be divisible by nHeads": the heads are what to change (or head_dim).
    case 'dModel':
      return message.includes('divisible') ? [r.attention, 'n_heads'] : [r.embedding, 'd_model'];
    case 'nLayers':
      return [r.repeat, 'n'];
    case 'nHeads':
      return [r.attention, 'n_heads'];
    case 'nKvHeads':
      return [r.attention, 'n_kv_heads'];
    case 'headDim':
      return [r.attention, 'head_dim'];
    case 'qkNorm':
      return [r.attention, 'qk_norm'];
    case 'dFF':
      return [r.ffn, 'd_ff'];
    case 'ffn':
      return [r.ffn, 'kind'];
    case 'ropeTheta':
      return [r.positions, 'theta'];
    case 'positions':
      return [r.positions, 'kind'];
    case 'tieEmbeddings':
      return [r.head, 'weights'];
    case 'norm':
      return [norm, 'kind'];
    case 'normEps':
      return [norm, 'eps'];
    case 'normLearnable':
      return [norm, 'learnable'];
    default:
      return [r.repeat, String(field)];
  }
}

const SNAKE: Record<string, string> = {
  vocabSize: 'vocab_size',
  contextLength: 'context_length',
  dModel: 'd_model',
  nLayers: 'n',
  nHeads: 'n_heads',
  dFF: 'd_ff',
  ropeTheta: 'theta',
  normEps: 'eps',
  nKvHeads: 'n_kv_heads',
  headDim: 'head_dim',
  qkNorm: 'qk_norm',
  tieEmbeddings: 'weights',
};

/** An engine config issue, addressed to the inner node and param and worded in the graph's names. */
function addressed(issue: GptConfigIssue, roles: Roles): ModelIssue {
  const [node, field] = locate(issue.field, issue.message, roles);
  let message = issue.message.replace(/\b[a-z]+[A-Z][A-Za-z]*\b/g, (name) => SNAKE[name] ?? name);
  if (issue.field === 'dModel' && message.includes('divisible')) message += ', or set head_dim';
  return { code: 'bad-shape', ...(node ? { innerNodeId: node.id } : {}), field, message };
}

/** Engine checks that repeat a kind's own check (n_kv_heads) are reported once. */
function dedupe(existing: ModelIssue[], added: ModelIssue[]): ModelIssue[] {
  const key = (i: ModelIssue) => `${i.innerNodeId}.${i.field}: ${i.message}`;
  const seen = new Set(existing.map(key));
  return added.filter((i) => !seen.has(key(i)) && seen.add(key(i)));
}
