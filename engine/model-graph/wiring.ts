// Checks the wires of one level of a model subgraph (the model's chain, or the repeated block):
// ends exist, ports exist and agree in type (canConnect), one edge per input, every required
// input fed, every output read, no cycle. Returns each node's inputs (port -> source node id).
import type { AnyNodeDefinition } from '../nodes/define';
import { canConnect } from '../ports';
import type { InnerGraph, InnerNode } from './graph';
import type { ModelIssue } from './issues';

export interface Wiring {
  /** node id -> input port -> source node id */
  inputs: Map<string, Record<string, string>>;
  /** node id -> the nodes reading it */
  readers: Map<string, string[]>;
  ok: boolean;
}

/** Outputs that leave the subgraph: the head's logits are the model's. */
const OUTPUTS_LEAVING = new Set(['lm_head.logits']);

export function checkWiring(graph: InnerGraph, defs: Map<string, AnyNodeDefinition>, issues: ModelIssue[]): Wiring {
  const before = issues.length;
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const inputs = new Map<string, Record<string, string>>(graph.nodes.map((n) => [n.id, {}]));
  const readers = new Map<string, string[]>();
  const read = new Set<string>();
  for (const e of graph.edges) {
    const [source, target] = [byId.get(e.source), byId.get(e.target)];
    if (!source || !target) {
      issues.push({
        code: 'dangling-edge',
        innerNodeId: (source ?? target)?.id,
        message: `wire ${e.id} connects to '${source ? e.target : e.source}', which is not in this graph`,
      });
      continue;
    }
    const [sourceDef, targetDef] = [defs.get(source.id), defs.get(target.id)];
    if (!sourceDef || !targetDef) continue; // unknown kind, already reported
    const out = sourceDef.outputs[e.sourceHandle];
    const inp = targetDef.inputs[e.targetHandle];
    if (!out) {
      issues.push({ code: 'unknown-port', innerNodeId: source.id, field: e.sourceHandle, message: `${source.type} has no output '${e.sourceHandle}'` });
      continue;
    }
    if (!inp) {
      issues.push({
        code: 'unknown-port',
        innerNodeId: target.id,
        field: e.targetHandle,
        message: `${target.type} has no input '${e.targetHandle}' (inputs: ${Object.keys(targetDef.inputs).join(', ') || 'none'})`,
      });
      continue;
    }
    const connection = canConnect(out.type, inp.type);
    if (!connection.ok) {
      issues.push({ code: 'type-mismatch', innerNodeId: target.id, field: e.targetHandle, message: connection.reason });
      continue;
    }
    const taken = inputs.get(target.id)!;
    if (taken[e.targetHandle]) {
      issues.push({
        code: 'input-taken',
        innerNodeId: target.id,
        field: e.targetHandle,
        message: `already connected from ${taken[e.targetHandle]}; an input takes one edge`,
      });
      continue;
    }
    taken[e.targetHandle] = source.id;
    readers.set(source.id, [...(readers.get(source.id) ?? []), target.id]);
    read.add(`${source.id}.${e.sourceHandle}`);
  }
  for (const node of graph.nodes) {
    const def = defs.get(node.id);
    if (!def) continue;
    for (const [name, spec] of Object.entries(def.inputs)) {
      if (!inputs.get(node.id)![name])
        issues.push({ code: 'missing-input', innerNodeId: node.id, field: name, message: `input '${spec.label}' (${spec.type}) is not connected` });
    }
    for (const name of Object.keys(def.outputs)) {
      if (!read.has(`${node.id}.${name}`) && !OUTPUTS_LEAVING.has(`${node.type}.${name}`)) {
        issues.push({
          code: 'unconnected-output',
          innerNodeId: node.id,
          field: name,
          message: `output '${name}' goes nowhere: wire it on, or remove the node`,
        });
      }
    }
  }
  issues.push(...cycleIssues(graph.nodes, inputs));
  return { inputs, readers, ok: issues.length === before };
}

/** Kahn's algorithm over the level's nodes; whatever never becomes ready is on a cycle. */
function cycleIssues(nodes: InnerNode[], inputs: Map<string, Record<string, string>>): ModelIssue[] {
  const pending = new Map(nodes.map((n) => [n.id, new Set(Object.values(inputs.get(n.id)!)).size]));
  const ready = nodes.filter((n) => pending.get(n.id) === 0).map((n) => n.id);
  const done = new Set<string>();
  while (ready.length) {
    const id = ready.shift()!;
    done.add(id);
    for (const n of nodes) {
      if (done.has(n.id) || !Object.values(inputs.get(n.id)!).includes(id)) continue;
      const left = pending.get(n.id)! - 1;
      pending.set(n.id, left);
      if (left === 0) ready.push(n.id);
    }
  }
  const stuck = nodes.filter((n) => !done.has(n.id)).map((n) => n.id);
  return stuck.map((id) => ({ code: 'cycle' as const, innerNodeId: id, message: `is part of a cycle (${stuck.join(' → ')})` }));
}
