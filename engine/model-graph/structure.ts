// Recognises the model's architecture from the wiring of its subgraph: the chain around the repeat
// (embedding → positions → blocks → final norm → head) and the transformer block's norm placement
// (pre: h + f(norm(h)); post: norm(h + f(h)); none: h + f(h)). Wiring is already checked (ports,
// types, one edge per input, no cycles) when these run.
import type { NormPlacement } from '../model/config';
import { ROLE_IDS, type InnerNode } from './graph';
import type { ModelIssue } from './issues';

/** Which inner node plays which role; the compiler reads params through it. */
export interface Roles {
  embedding: InnerNode;
  positions?: InnerNode;
  repeat: InnerNode;
  finalNorm?: InnerNode;
  head: InnerNode;
  attention: InnerNode;
  ffn: InnerNode;
  /** The block's norms, attention's first (absent for placement none). */
  blockNorms: InnerNode[];
  placement: NormPlacement;
}

type Expr = { t: 'in' } | { t: 'layer'; node: InnerNode; x: Expr } | { t: 'add'; node: InnerNode; skip: Expr; branch: Expr } | { t: 'other'; node: InnerNode };

const ORDER = 'embedding → positions → transformer blocks → norm → lm_head';

/** Follows the single reader of each node from the embedding; the chain is the model. */
export function modelChain(
  nodes: InnerNode[],
  readers: Map<string, string[]>,
  issues: ModelIssue[],
): Omit<Roles, 'attention' | 'ffn' | 'blockNorms' | 'placement'> | undefined {
  const embeddings = nodes.filter((n) => n.type === 'embedding');
  if (embeddings.length !== 1) {
    issues.push({
      code: 'graph-shape',
      innerNodeId: embeddings[1]?.id,
      message: embeddings.length ? 'the model has more than one embedding' : 'the model has no embedding: add one (it reads the token ids)',
    });
    return undefined;
  }
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const chain: InnerNode[] = [embeddings[0]];
  for (let next = readers.get(embeddings[0].id); next?.length === 1 && chain.length <= nodes.length; next = readers.get(chain.at(-1)!.id)) {
    chain.push(byId.get(next[0])!);
  }
  const kinds = chain.map((n) => n.type).join(' ');
  const match = /^embedding( positions)? repeat( norm)? lm_head$/.exec(kinds);
  if (!match) {
    const wrong = chain.find(
      (n, i) =>
        i > 0 &&
        !/^embedding( positions)?( repeat( norm)?( lm_head)?)?$/.test(
          chain
            .slice(0, i + 1)
            .map((c) => c.type)
            .join(' '),
        ),
    );
    const last = chain.at(-1)!;
    const where = wrong ?? last;
    const message = wrong
      ? `${wrong.type} cannot come here: the model reads ${ORDER} (positions and the final norm optional)`
      : (readers.get(last.id)?.length ?? 0) > 1
        ? `feeds ${readers.get(last.id)!.length} nodes: the model is one chain (${ORDER})`
        : `the chain stops here: the model reads ${ORDER}`;
    issues.push({ code: 'graph-shape', innerNodeId: where.id, message });
    return undefined;
  }
  const at = (kind: string) => chain.find((n) => n.type === kind);
  const repeatIndex = chain.findIndex((n) => n.type === 'repeat');
  return {
    embedding: chain[0],
    positions: at('positions'),
    repeat: chain[repeatIndex],
    finalNorm: chain[repeatIndex + 1].type === 'norm' ? chain[repeatIndex + 1] : undefined,
    head: chain.at(-1)!,
  };
}

/** The block's output as an expression over its input, built backwards from block_out. */
function expressionOf(id: string, byId: Map<string, InnerNode>, inputs: Map<string, Record<string, string>>): Expr {
  const node = byId.get(id)!;
  const from = (port: string) => expressionOf(inputs.get(id)![port], byId, inputs);
  if (node.type === 'block_in') return { t: 'in' };
  if (node.type === 'residual') return { t: 'add', node, skip: from('skip'), branch: from('branch') };
  if (node.type === 'norm' || node.type === 'attention' || node.type === 'ffn') return { t: 'layer', node, x: from('x') };
  return { t: 'other', node };
}

const same = (a: Expr, b: Expr) => (a.t === 'in' ? b.t === 'in' : b.t !== 'in' && a.node === b.node);

/** `add(stream, layer(stream))` or `add(stream, layer(norm(stream)))`, either port order. */
function sublayer(e: Expr | undefined, kind: string): { stream: Expr; norm?: InnerNode } | undefined {
  if (e?.t !== 'add') return undefined;
  for (const [s, b] of [
    [e.skip, e.branch],
    [e.branch, e.skip],
  ]) {
    if (b.t !== 'layer' || b.node.type !== kind) continue;
    if (same(b.x, s)) return { stream: s };
    if (b.x.t === 'layer' && b.x.node.type === 'norm' && same(b.x.x, s)) return { stream: s, norm: b.x.node };
  }
  return undefined;
}

/** The norm placement the block's wiring spells, with its norms; undefined when it spells none. */
function placementOf(out: Expr): { placement: NormPlacement; norms: InnerNode[] } | undefined {
  const pre2 = sublayer(out, 'ffn');
  const pre1 = sublayer(pre2?.stream, 'attention');
  if (pre2 && pre1 && pre1.stream.t === 'in') {
    if (pre1.norm && pre2.norm) return { placement: 'pre', norms: [pre1.norm, pre2.norm] };
    if (!pre1.norm && !pre2.norm) return { placement: 'none', norms: [] };
  }
  if (out.t !== 'layer' || out.node.type !== 'norm') return undefined;
  const post2 = sublayer(out.x, 'ffn');
  const mid = post2?.stream;
  if (!post2 || post2.norm || mid?.t !== 'layer' || mid.node.type !== 'norm') return undefined;
  const post1 = sublayer(mid.x, 'attention');
  return post1 && !post1.norm && post1.stream.t === 'in' ? { placement: 'post', norms: [mid.node, out.node] } : undefined;
}

/**
 * The block's layers and norm placement, or issues on the node to fix: one attention and one
 * ffn, each added back onto the stream (a residual path), in one of the three placements.
 */
export function blockStructure(
  repeat: InnerNode,
  inputs: Map<string, Record<string, string>>,
  issues: ModelIssue[],
): Pick<Roles, 'attention' | 'ffn' | 'blockNorms' | 'placement'> | undefined {
  const nodes = repeat.graph?.nodes ?? [];
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const one = (kind: string, title: string) => {
    const found = nodes.filter((n) => n.type === kind);
    if (found.length !== 1)
      issues.push({
        code: 'graph-shape',
        innerNodeId: found[1]?.id ?? repeat.id,
        message: `the transformer block needs exactly one ${title} (it has ${found.length})`,
      });
    return found.length === 1 ? found[0] : undefined;
  };
  const [blockIn, blockOut, attention, ffn] = [
    one('block_in', 'block input'),
    one('block_out', 'block output'),
    one('attention', 'attention'),
    one('ffn', 'feed-forward'),
  ];
  if (!blockIn || !blockOut || !attention || !ffn) return undefined;
  const misplaced = nodes.find((n) => !['block_in', 'block_out', 'attention', 'ffn', 'norm', 'residual'].includes(n.type));
  if (misplaced) {
    issues.push({
      code: 'graph-shape',
      innerNodeId: misplaced.id,
      message: `a ${misplaced.type} cannot be inside the transformer block (norm, attention, ffn and residual adds can)`,
    });
    return undefined;
  }
  const residuals = nodes.filter((n) => n.type === 'residual');
  let missing = false;
  for (const layer of [attention, ffn]) {
    // A residual path adds the layer's output to a stream that does not come through the layer.
    const after = downstreamOf(layer.id, nodes, inputs);
    const addsBack = (r: InnerNode) => {
      const { skip, branch } = inputs.get(r.id) ?? {};
      return (branch === layer.id && !after.has(skip)) || (skip === layer.id && !after.has(branch));
    };
    if (residuals.some(addsBack)) continue;
    missing = true;
    issues.push({
      code: 'missing-residual',
      innerNodeId: layer.id,
      message: `has no residual path: its output must be added back onto the stream it read (wire it into a residual add's branch, with that stream as skip)`,
    });
  }
  if (missing) return undefined;
  const found = placementOf(expressionOf(inputs.get(blockOut.id)!.x, byId, inputs));
  if (!found) {
    issues.push({
      code: 'graph-shape',
      innerNodeId: blockOut.id,
      message:
        "the block is wired in a way the engine does not build: pre-norm (norm → attention → add → norm → ffn → add), post-norm (attention → add → norm → ffn → add → norm) or no norm (attention → add → ffn → add), each add taking the block's stream as skip",
    });
    return undefined;
  }
  return { attention, ffn, blockNorms: found.norms, placement: found.placement };
}

/** The nodes that read `id`'s output, directly or through others (and `id` itself). */
function downstreamOf(id: string, nodes: InnerNode[], inputs: Map<string, Record<string, string>>): Set<string | undefined> {
  const seen = new Set<string | undefined>([id]);
  for (let grew = true; grew;) {
    grew = false;
    for (const n of nodes) {
      if (seen.has(n.id) || !Object.values(inputs.get(n.id) ?? {}).some((s) => seen.has(s))) continue;
      seen.add(n.id);
      grew = true;
    }
  }
  return seen;
}

/** Issues for role nodes whose ids are not their role's: the ids name the parameters. */
export function roleIdIssues(roles: Roles): ModelIssue[] {
  const expected: [InnerNode | undefined, string][] = [
    [roles.embedding, ROLE_IDS.embedding],
    [roles.positions, ROLE_IDS.positions],
    [roles.repeat, ROLE_IDS.repeat],
    [roles.finalNorm, ROLE_IDS.finalNorm],
    [roles.head, ROLE_IDS.head],
    [roles.attention, ROLE_IDS.attention],
    [roles.ffn, ROLE_IDS.ffn],
    [roles.blockNorms[0], ROLE_IDS.norm1],
    [roles.blockNorms[1], ROLE_IDS.norm2],
  ];
  return expected
    .filter(([node, id]) => node && node.id !== id)
    .map(([node, id]) => ({
      code: 'graph-shape' as const,
      innerNodeId: node!.id,
      field: 'id',
      message: `plays the role of '${id}', whose id names its parameters (${id === ROLE_IDS.repeat ? 'blocks.{i}.…' : ['norm1', 'attn', 'norm2', 'ffn'].includes(id) ? `blocks.{i}.${id}.…` : id}): rename it '${id}'`,
    }));
}
