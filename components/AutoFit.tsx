// Keeps a canvas fitted while the user has not moved it: when the pane changes size (a panel
// opens or closes, the window resizes) and, with `watchSizes`, when blocks grow (live numbers
// arriving), the whole graph is fitted again. Rendered inside <ReactFlow>; `moved` is set by the
// canvas's onMoveStart for moves the user makes, and cleared when the canvas fits on request.
// Also the fit padding the canvases share, and a minimap shown only while something is out of view.
import { MiniMap, useReactFlow, useStore, type FitViewOptions, type MiniMapProps, type ReactFlowState } from '@xyflow/react';
import { useEffect, type RefObject } from 'react';
import { registry } from '../engine/nodes';
import type { StudioFlowNode } from '../lib/flow';
import { categoryAccent } from './theme';

/** Sum of the measured block sizes: changes when any block grows or shrinks. */
const sizeSignature = (s: ReactFlowState) => {
  let sum = 0;
  s.nodeLookup.forEach((n) => (sum += (n.measured.width ?? 0) * 3 + (n.measured.height ?? 0)));
  return sum;
};

/**
 * Fit padding: clear of the zoom controls on the left, and above and below room for the edges that
 * run outside the blocks into the top row's inputs and out of the bottom row's outputs; tight
 * elsewhere, so the seed pipeline reads at 1440×900 with the run panel open (block text ≥ 11 px).
 */
export const FIT_PADDING: FitViewOptions['padding'] = { top: '20px', bottom: '20px', left: '48px', right: '16px' };

/** Whether every block lies inside the visible pane (then a minimap shows nothing new). */
export function useAllInView(): boolean {
  return useStore((s) => {
    const [tx, ty, zoom] = s.transform;
    let inside = true;
    s.nodeLookup.forEach((n) => {
      const { x, y } = n.internals.positionAbsolute;
      const left = x * zoom + tx;
      const top = y * zoom + ty;
      if (left < -1 || top < -1 || left + (n.measured.width ?? 0) * zoom > s.width + 1 || top + (n.measured.height ?? 0) * zoom > s.height + 1) inside = false;
    });
    return inside;
  });
}

export function AutoFit({
  moved,
  padding = FIT_PADDING,
  watchSizes = false,
}: {
  moved: RefObject<boolean>;
  padding?: FitViewOptions['padding'];
  watchSizes?: boolean;
}) {
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

/** The minimap, drawn only while some block is out of view (else it would only cover a corner block). */
export function MiniMapWhenNeeded(props: MiniMapProps<StudioFlowNode>) {
  return useAllInView() ? null : <MiniMap {...props} />;
}

function minimapColor(node: StudioFlowNode): string {
  if (node.type === 'note') return '#fde68a';
  if (node.type === 'frame') return 'transparent';
  return categoryAccent(registry.get(node.data.type)?.category);
}

/** A pipeline's minimap (the studio's canvas and a run's page): blocks in their category colours. */
export function PipelineMiniMap({ theme }: { theme: 'light' | 'dark' }) {
  return (
    <MiniMapWhenNeeded
      position="top-right"
      pannable
      zoomable
      nodeColor={minimapColor}
      nodeStrokeWidth={0}
      maskColor={theme === 'dark' ? 'rgba(15,18,23,0.6)' : 'rgba(226,232,240,0.6)'}
      ariaLabel="Minimap"
      style={{ width: 150, height: 100 }}
    />
  );
}
