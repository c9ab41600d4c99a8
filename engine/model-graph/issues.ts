// A problem inside a model block: on an inner node (and its param), or on the block itself.
import type { DiagnosticCode } from '../compiler/diagnostics';

export interface ModelIssue {
  code: DiagnosticCode;
  /** The inner node to fix; absent: the model block's own param (`field`). */
  innerNodeId?: string;
  /** A param of the inner node (or of the block when innerNodeId is absent), or a port. */
  field?: string;
  message: string;
}
