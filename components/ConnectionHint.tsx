// While a connection is dragged over a port that refuses it, says why next to the pointer
// ("expected TokenSource, got Logits"), using the same check as isValidConnection.
import { useConnection, useReactFlow, type Handle } from '@xyflow/react';
import { connectionProblem } from '../lib/edits';
import type { Pipeline } from '../lib/document';
import { useStudio } from '../lib/store';

/** The problem with connecting two handles, whichever end the drag started from. */
export function problemOfConnection(doc: Pipeline, from: Handle, to: Handle): string | null {
  if (from.type === to.type) return from.type === 'source' ? 'connect an output to an input' : 'connect an input to an output';
  const [source, target] = from.type === 'source' ? [from, to] : [to, from];
  if (!source.id || !target.id) return null;
  return connectionProblem(doc, { source: source.nodeId, sourceHandle: source.id, target: target.nodeId, targetHandle: target.id });
}

export function ConnectionHint() {
  const connection = useConnection();
  const doc = useStudio((s) => s.doc);
  const rf = useReactFlow();
  if (!connection.inProgress || !connection.toHandle) return null;
  const problem = problemOfConnection(doc, connection.fromHandle, connection.toHandle);
  if (!problem) return null;
  const at = rf.flowToScreenPosition(connection.to);
  return (
    <div className="connection-hint" role="status" data-testid="connection-hint" style={{ left: at.x + 14, top: at.y + 14 }}>
      {problem}
    </div>
  );
}
