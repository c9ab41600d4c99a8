// Edges drawn around blocks: the canvas routes every edge at once on the blocks React Flow has
// measured (lib/edge-route.ts) and each edge draws its route with rounded corners. An edge whose
// blocks are not measured yet falls back to React Flow's step path for that frame.
import { BaseEdge, getSmoothStepPath, useStore, useStoreApi, type Edge, type EdgeProps, type ReactFlowState } from '@xyflow/react';
import { createContext, memo, useContext, useMemo } from 'react';
import { roundedPath, routeEdges, type EdgeEnds, type Point, type Rect } from '../lib/edge-route';

const RoutesContext = createContext<ReadonlyMap<string, Point[]>>(new Map());

/** Changes whenever a block moves, resizes or gets its handles measured. */
function drawingSignature(s: ReactFlowState): string {
  let sig = '';
  s.nodeLookup.forEach((n) => {
    if (n.type !== 'block') return;
    const { x, y } = n.internals.positionAbsolute;
    const hb = n.internals.handleBounds;
    sig += `${n.id}:${x},${y},${n.measured.width},${n.measured.height},${hb?.source?.length ?? 0},${hb?.target?.length ?? 0};`;
  });
  return sig;
}

/** Blocks as rectangles and each edge's handle points, from React Flow's measured internals. */
function measuredDrawing(s: ReactFlowState, edges: readonly Edge[]): { blocks: Rect[]; ends: EdgeEnds[] } {
  const blocks: Rect[] = [];
  // A block that holds others (the model's repeated block) is a frame the edges run inside, not an obstacle.
  const frames = new Set<string>();
  s.nodeLookup.forEach((n) => void (n.parentId && frames.add(n.parentId)));
  s.nodeLookup.forEach((n) => {
    if (n.type === 'block' && !frames.has(n.id) && n.measured.width && n.measured.height)
      blocks.push({ ...n.internals.positionAbsolute, width: n.measured.width, height: n.measured.height });
  });
  const handle = (nodeId: string, id: string | null | undefined, side: 'source' | 'target') => {
    const node = s.nodeLookup.get(nodeId);
    const h = node?.internals.handleBounds?.[side]?.find((b) => b.id === id);
    if (!node || !h) return undefined;
    const { x, y } = node.internals.positionAbsolute;
    // As React Flow places edge ends: the outer side of the handle (bottom for sources, top for targets).
    return { x: x + h.x + h.width / 2, y: y + h.y + (side === 'source' ? h.height : 0) };
  };
  const ends: EdgeEnds[] = [];
  for (const e of edges) {
    const [from, to] = [handle(e.source, e.sourceHandle, 'source'), handle(e.target, e.targetHandle, 'target')];
    if (from && to) ends.push({ id: e.id, from, to });
  }
  return { blocks, ends };
}

/** Routes every edge of the canvas around its blocks, for the RoutedEdges inside (wraps <ReactFlow>). */
export function EdgeRoutes({ edges, children }: { edges: readonly Edge[]; children: React.ReactNode }) {
  const store = useStoreApi();
  const signature = useStore(drawingSignature);
  const routes = useMemo(() => {
    const { blocks, ends } = measuredDrawing(store.getState(), edges);
    return routeEdges(blocks, ends);
  }, [signature, edges, store]); // the signature stands for the measured drawing read from the store
  return <RoutesContext.Provider value={routes}>{children}</RoutesContext.Provider>;
}

function RoutedEdgeView({ id, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, style, markerEnd, interactionWidth }: EdgeProps) {
  const route = useContext(RoutesContext).get(id);
  const path = route ? roundedPath(route) : getSmoothStepPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition })[0];
  return <BaseEdge id={id} path={path} style={style} markerEnd={markerEnd} interactionWidth={interactionWidth} />;
}

export const RoutedEdge = memo(RoutedEdgeView);
