// Compiler diagnostics: user errors addressed to a node (and field or port) or an edge.

export interface Diagnostic {
  severity: 'error' | 'warning';
  /** Stable machine-readable kind of problem, e.g. 'unknown-type', 'type-mismatch'. */
  code: DiagnosticCode;
  message: string;
  nodeId?: string;
  edgeId?: string;
  /** Param path (`d_model`) or port name (`tokens`) on the node; inside a model block `<innerId>.<param>` (`attn.n_kv_heads`). */
  field?: string;
  /** The node inside a model block's subgraph the problem is on (`attn`); nodeId is the model block. */
  innerNodeId?: string;
}

export type DiagnosticCode =
  | 'invalid-document'
  | 'unsupported-version'
  | 'unknown-type'
  | 'duplicate-id'
  | 'invalid-param'
  | 'dangling-edge'
  | 'unknown-port'
  | 'type-mismatch'
  | 'input-taken'
  | 'missing-input'
  | 'cycle'
  | 'bad-shape'
  | 'micro-output'
  | 'nothing-to-train'
  | 'data'
  | 'unconnected-output'
  | 'missing-residual'
  | 'graph-shape';

/**
 * One line a person can read: `model#1.d_model: must be divisible by n_heads (4)`.
 * @example formatDiagnostic({ severity: 'error', code: 'cycle', message: 'x', nodeId: 'a' }) // 'a: x'
 */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.nodeId ?? (d.edgeId ? `edge ${d.edgeId}` : 'pipeline');
  return `${where}${d.field ? `.${d.field}` : ''}: ${d.message}`;
}
