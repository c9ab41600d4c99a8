// Errors raised by (or on behalf of) a node: the runtime reports them on that node.

export class NodeError extends Error {
  constructor(
    readonly nodeId: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** Runs `work` (sync or async) and tags anything it throws with `nodeId`. */
export function guard<T>(nodeId: string, work: () => T): T {
  try {
    const result = work();
    if (result instanceof Promise)
      return result.catch((e) => {
        throw asNodeError(nodeId, e);
      }) as T;
    return result;
  } catch (e) {
    throw asNodeError(nodeId, e);
  }
}

function asNodeError(nodeId: string, e: unknown): NodeError {
  if (e instanceof NodeError) return e;
  return new NodeError(nodeId, e instanceof Error ? e.message : String(e));
}
