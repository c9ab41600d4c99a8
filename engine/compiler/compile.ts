// compile(document) -> plan. Named stages; user errors are collected as diagnostics, never thrown.
//   parse (migrate + zod) -> resolve kinds and params -> wire edges -> check inputs and cycles
//   -> node checks (shapes) -> order -> find differentiated sub-graphs -> plan

import { registry as builtInRegistry } from '../nodes';
import type { AnyNodeDefinition, CheckContext } from '../nodes/define';
import type { Registry } from '../nodes/registry';
import { migratePipeline } from '../pipeline/migrate';
import { Pipeline, type PipelineNode } from '../pipeline/schema';
import { PLAN_VERSION, type Plan, type PlanInput, type PlanNode } from '../plan';
import { canConnect, PORT_TYPES } from '../ports';
import type { Diagnostic } from './diagnostics';

export type CompileResult = { ok: true; plan: Plan; diagnostics: Diagnostic[] } | { ok: false; diagnostics: Diagnostic[] };

interface ResolvedNode {
  node: PipelineNode;
  def: AnyNodeDefinition;
  /** Undefined when the params are invalid (already reported); the node still takes part in wiring checks. */
  params: Record<string, unknown> | undefined;
  inputs: Record<string, PlanInput & { edgeId: string }>;
  /** Inputs wired from a node that is itself broken (unknown type): not reported again as missing. */
  fedByBroken: Set<string>;
}

/**
 * Compiles a pipeline document (parsed JSON, any version) into a plan.
 * @example
 *   const result = compile(JSON.parse(text));
 *   if (!result.ok) result.diagnostics.forEach((d) => console.error(formatDiagnostic(d)));
 */
export function compile(raw: unknown, registry: Registry = builtInRegistry): CompileResult {
  const diagnostics: Diagnostic[] = [];
  const error = (d: Omit<Diagnostic, 'severity'>) => void diagnostics.push({ severity: 'error', ...d });

  // 1. Parse: upgrade old versions, then validate the document's shape.
  const pipeline = parseDocument(raw, error);
  if (!pipeline) return { ok: false, diagnostics };

  // 2. Resolve kinds and params.
  const nodes = new Map<string, ResolvedNode>();
  for (const node of pipeline.nodes) {
    if (nodes.has(node.id)) {
      error({ code: 'duplicate-id', nodeId: node.id, message: `duplicate node id '${node.id}'` });
      continue;
    }
    const def = registry.get(node.type);
    if (!def) {
      error({ code: 'unknown-type', nodeId: node.id, field: 'type', message: `unknown node type '${node.type}'` });
      continue;
    }
    nodes.set(node.id, { node, def, params: resolveParams(node, def, error), inputs: {}, fedByBroken: new Set() });
  }
  // A step's loss is what backward computes and reports: without one there is nothing to train
  // (an empty document would otherwise run, every step's loss NaN).
  if (!pipeline.nodes.some((n) => n.type === 'backward')) {
    error({
      code: 'nothing-to-train',
      field: 'nodes',
      message: pipeline.nodes.length
        ? 'has no backward node, so nothing trains: connect dataset → get_batch → model → loss → backward → optimizer'
        : 'is empty: a pipeline trains a model (dataset → get_batch → model → loss → backward → optimizer); start from a template',
    });
  }
  const edgeIds = new Set<string>();
  for (const edge of pipeline.edges) {
    if (edgeIds.has(edge.id)) error({ code: 'duplicate-id', edgeId: edge.id, message: `duplicate edge id '${edge.id}'` });
    edgeIds.add(edge.id);
  }

  // 3. Wire edges: both ends exist, ports exist, types agree, one edge per input.
  for (const edge of pipeline.edges) {
    const source = nodes.get(edge.source);
    const target = nodes.get(edge.target);
    const missingEnd = !pipeline.nodes.some((n) => n.id === edge.source)
      ? edge.source
      : !pipeline.nodes.some((n) => n.id === edge.target)
        ? edge.target
        : undefined;
    if (missingEnd !== undefined) {
      error({ code: 'dangling-edge', edgeId: edge.id, message: `connects to node '${missingEnd}', which does not exist` });
      continue;
    }
    if (!target) continue; // that node already has an error of its own
    if (!source) {
      target.fedByBroken.add(edge.targetHandle);
      continue;
    }
    const out = source.def.outputs[edge.sourceHandle];
    const inp = target.def.inputs[edge.targetHandle];
    if (!out) {
      error({
        code: 'unknown-port',
        nodeId: edge.source,
        edgeId: edge.id,
        field: edge.sourceHandle,
        message: `${source.def.kind} has no output '${edge.sourceHandle}' (outputs: ${Object.keys(source.def.outputs).join(', ') || 'none'})`,
      });
      continue;
    }
    if (!inp) {
      error({
        code: 'unknown-port',
        nodeId: edge.target,
        edgeId: edge.id,
        field: edge.targetHandle,
        message: `${target.def.kind} has no input '${edge.targetHandle}' (inputs: ${Object.keys(target.def.inputs).join(', ') || 'none'})`,
      });
      continue;
    }
    const connection = canConnect(out.type, inp.type);
    if (!connection.ok) {
      error({ code: 'type-mismatch', nodeId: edge.target, edgeId: edge.id, field: edge.targetHandle, message: connection.reason });
      continue;
    }
    const taken = target.inputs[edge.targetHandle];
    if (taken) {
      error({
        code: 'input-taken',
        nodeId: edge.target,
        edgeId: edge.id,
        field: edge.targetHandle,
        message: `already connected from ${taken.node}.${taken.port}; an input takes one edge`,
      });
      continue;
    }
    target.inputs[edge.targetHandle] = { node: edge.source, port: edge.sourceHandle, type: out.type, edgeId: edge.id };
  }

  // 4. Required inputs, then cycles.
  for (const r of nodes.values()) {
    for (const [name, spec] of Object.entries(r.def.inputs)) {
      if (!spec.optional && !r.inputs[name] && !r.fedByBroken.has(name)) {
        error({ code: 'missing-input', nodeId: r.node.id, field: name, message: `required input '${spec.label}' (${spec.type}) is not connected` });
      }
    }
  }
  const order = topologicalOrder(nodes, error);

  // 5. Node checks that need the params of neighbours (shapes, cross-field rules).
  for (const r of nodes.values()) {
    if (!r.def.check || !r.params) continue;
    for (const issue of r.def.check(r.params, checkContext(r, nodes))) {
      error({
        code: issue.code ?? 'bad-shape',
        nodeId: r.node.id,
        field: issue.field || undefined,
        message: issue.message,
        ...(issue.innerNodeId ? { innerNodeId: issue.innerNodeId } : {}),
      });
    }
  }
  if (diagnostics.length || !order) return { ok: false, diagnostics };

  // 6. Differentiated sub-graphs: nodes a differentiating input depends on through step values.
  const planNodes = order.map((id) => toPlanNode(nodes.get(id)!));
  markDifferentiated(planNodes, nodes, error);
  if (diagnostics.length) return { ok: false, diagnostics };

  const plan: Plan = {
    planVersion: PLAN_VERSION,
    name: pipeline.meta.name,
    totalSteps: pipeline.training.steps,
    seed: pipeline.training.seed,
    nodes: planNodes,
    pipeline: { ...pipeline, nodes: pipeline.nodes.map((n) => ({ ...n, version: nodes.get(n.id)!.def.version, params: nodes.get(n.id)!.params! })) },
  };
  return { ok: true, plan, diagnostics };
}

function parseDocument(raw: unknown, error: (d: Omit<Diagnostic, 'severity'>) => void): Pipeline | undefined {
  const migrated = migratePipeline(raw);
  if (!migrated.ok) {
    error({ code: migrated.message.startsWith('version') ? 'unsupported-version' : 'invalid-document', field: 'version', message: migrated.message });
    return undefined;
  }
  const parsed = Pipeline.safeParse(migrated.doc);
  if (parsed.success) return parsed.data;
  const doc = migrated.doc as { nodes?: unknown; edges?: unknown };
  for (const issue of parsed.error.issues) {
    const [collection, index, ...rest] = issue.path;
    const item =
      (collection === 'nodes' || collection === 'edges') && Array.isArray(doc[collection]) ? (doc[collection] as unknown[])[index as number] : undefined;
    const id = typeof item === 'object' && item !== null && typeof (item as { id?: unknown }).id === 'string' ? (item as { id: string }).id : undefined;
    const where = collection === 'nodes' && id ? { nodeId: id } : collection === 'edges' && id ? { edgeId: id } : {};
    const field = (id ? rest : issue.path).map(String).join('.');
    error({ code: 'invalid-document', ...where, field: field || undefined, message: issue.message });
  }
  return undefined;
}

/** Migrates a node's params to the kind's current version and fills in defaults. */
function resolveParams(node: PipelineNode, def: AnyNodeDefinition, error: (d: Omit<Diagnostic, 'severity'>) => void) {
  let params = node.params;
  const saved = node.version ?? def.version;
  if (saved > def.version) {
    error({
      code: 'unsupported-version',
      nodeId: node.id,
      field: 'version',
      message: `params saved by a newer ${def.kind} (version ${saved}; this build has ${def.version})`,
    });
    return undefined;
  }
  if (saved < def.version) {
    if (!def.migrate) {
      error({ code: 'unsupported-version', nodeId: node.id, field: 'version', message: `${def.kind} cannot upgrade params from version ${saved}` });
      return undefined;
    }
    params = def.migrate(params, saved);
  }
  const parsed = def.params.strict().safeParse(params);
  if (parsed.success) return parsed.data as Record<string, unknown>;
  for (const issue of parsed.error.issues) {
    const field = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.map(String).join('.');
    const message = issue.code === 'unrecognized_keys' ? `unknown param${issue.keys.length > 1 ? 's' : ''} for ${def.kind}` : issue.message;
    error({ code: 'invalid-param', nodeId: node.id, field: field || undefined, message });
  }
  return undefined;
}

/** Kahn's algorithm, ties broken by document order so plans are stable. */
function topologicalOrder(nodes: Map<string, ResolvedNode>, error: (d: Omit<Diagnostic, 'severity'>) => void) {
  const pending = new Map<string, number>();
  const readers = new Map<string, string[]>();
  for (const [id, r] of nodes) {
    const sources = new Set(Object.values(r.inputs).map((i) => i.node));
    pending.set(id, sources.size);
    for (const s of sources) readers.set(s, [...(readers.get(s) ?? []), id]);
  }
  const ready = [...nodes.keys()].filter((id) => pending.get(id) === 0);
  const order: string[] = [];
  while (ready.length) {
    const id = ready.shift()!;
    order.push(id);
    for (const reader of readers.get(id) ?? []) {
      const left = pending.get(reader)! - 1;
      pending.set(reader, left);
      if (left === 0) ready.push(reader);
    }
  }
  if (order.length === nodes.size) return order;
  const stuck = [...nodes.keys()].filter((id) => !order.includes(id));
  for (const id of stuck) error({ code: 'cycle', nodeId: id, message: `is part of a cycle (${stuck.join(' → ')})` });
  return undefined;
}

function checkContext(r: ResolvedNode, nodes: Map<string, ResolvedNode>): CheckContext {
  return {
    upstream(port) {
      const input = r.inputs[port];
      const source = input && nodes.get(input.node);
      return source?.params ? { kind: source.def.kind, params: source.params } : undefined;
    },
    nodesOfKind(kind) {
      return [...nodes.values()].filter((n) => n.def.kind === kind && n.params).map((n) => ({ id: n.node.id, params: n.params! }));
    },
  };
}

function toPlanNode(r: ResolvedNode): PlanNode {
  const inputs: Record<string, PlanInput> = {};
  for (const [port, { node, port: sourcePort, type }] of Object.entries(r.inputs)) inputs[port] = { node, port: sourcePort, type };
  return { id: r.node.id, kind: r.def.kind, params: r.params!, inputs };
}

/**
 * For each differentiated input (backward.loss), collects the nodes it depends on through
 * step-lifetime edges. They run inside that node's gradient pass, so their step outputs may
 * feed nothing else (a tensor made inside the pass does not outlive it).
 */
function markDifferentiated(plan: PlanNode[], nodes: Map<string, ResolvedNode>, error: (d: Omit<Diagnostic, 'severity'>) => void) {
  const byId = new Map(plan.map((n) => [n.id, n]));
  for (const owner of plan) {
    const def = nodes.get(owner.id)!.def;
    for (const [port, spec] of Object.entries(def.inputs)) {
      if (!spec.differentiate || !owner.inputs[port]) continue;
      const members = new Set<string>();
      const visit = (id: string) => {
        if (members.has(id)) return;
        members.add(id);
        for (const input of Object.values(byId.get(id)!.inputs)) {
          if (PORT_TYPES[input.type].lifetime === 'step') visit(input.node);
        }
      };
      visit(owner.inputs[port].node);
      for (const id of members) {
        const member = byId.get(id)!;
        if (member.microOf && member.microOf !== owner.id) {
          error({ code: 'micro-output', nodeId: id, message: `feeds two gradient passes (${member.microOf} and ${owner.id})` });
        }
        member.microOf = owner.id;
      }
      owner.differentiates = { ...owner.differentiates, [port]: plan.filter((n) => members.has(n.id)).map((n) => n.id) };
    }
  }
  // A step output made inside a pass may only be read inside the same pass (or by its owner).
  for (const reader of plan) {
    for (const [port, input] of Object.entries(reader.inputs)) {
      const source = byId.get(input.node)!;
      if (!source.microOf || PORT_TYPES[input.type].lifetime !== 'step') continue;
      if (reader.microOf === source.microOf || reader.id === source.microOf) continue;
      error({
        code: 'micro-output',
        nodeId: reader.id,
        field: port,
        message: `${input.node}.${input.port} is computed inside ${source.microOf}'s gradient pass; read it from ${source.microOf}'s outputs instead`,
      });
    }
  }
}
