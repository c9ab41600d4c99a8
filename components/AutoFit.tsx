// Keeps a canvas fitted while the user has not moved it: when the pane changes size (a panel
// opens or closes, the window resizes) and, with `watchSizes`, when blocks grow (live numbers
// arriving), the whole graph is fitted again. Rendered inside <ReactFlow>; `moved` is set by the
// canvas's onMoveStart for moves the user makes, and cleared when the canvas fits on request.
import { useReactFlow, useStore, type ReactFlowState } from '@xyflow/react';
import { useEffect, type RefObject } from 'react';

/** Sum of the measured block sizes: changes when any block grows or shrinks. */
const sizeSignature = (s: ReactFlowState) => {
  let sum = 0;
  s.nodeLookup.forEach((n) => (sum += (n.measured.width ?? 0) * 3 + (n.measured.height ?? 0)));
  return sum;
};

export function AutoFit({ moved, padding, watchSizes = false }: { moved: RefObject<boolean>; padding: number; watchSizes?: boolean }) {
  const rf = useReactFlow();
  const width = useStore((s) => s.width);
  const height = useStore((s) => s.height);
  const sizes = useStore((s) => (watchSizes ? sizeSignature(s) : 0));
  useEffect(() => {
    if (moved.current || !width || !height || !rf.viewportInitialized) return;
    const frame = requestAnimationFrame(() => void rf.fitView({ padding, duration: 150 }));
    return () => cancelAnimationFrame(frame);
  }, [width, height, sizes, rf, padding, moved]);
  return null;
}

/** onMoveStart for <ReactFlow>: a move with an input event is the user's (fits and focus have none). */
export function markUserMoves(moved: RefObject<boolean>) {
  return (event: MouseEvent | TouchEvent | null) => {
    if (event) moved.current = true;
  };
}

/** Props for <Controls>: its zoom buttons count as the user's moves, its fit button as a fit. */
export function fitControls(moved: RefObject<boolean>) {
  const userMoved = () => void (moved.current = true);
  return { onZoomIn: userMoved, onZoomOut: userMoved, onFitView: () => void (moved.current = false) };
}
