// The canvas: React Flow drawing the document (lib/flow.ts), typed connections checked by the
// engine's rule, palette drops, .json file drops, and the viewport requests from the store.
import {
  Background,
  BackgroundVariant,
  Controls,
  ReactFlow,
  useNodesInitialized,
  useReactFlow,
  type Connection,
  type Edge,
  type EdgeTypes,
  type FinalConnectionState,
  type IsValidConnection,
  type NodeTypes,
} from '@xyflow/react';
import { useEffect, useMemo, useRef } from 'react';
import { registry } from '../engine/nodes';
import { connectionProblem, parseFlowId } from '../lib/edits';
import { FlowNodeCache, toFlowEdges, toFlowNodes } from '../lib/flow';
import { studio, useStudio } from '../lib/store';
import { useRuns } from '../lib/runs-store';
import { AutoFit, FIT_PADDING, fitControls, PipelineMiniMap, markUserMoves } from './AutoFit';
import { BlockNode } from './BlockNode';
import { useTheme } from './theme-mode';
import { ConnectionHint, problemOfConnection } from './ConnectionHint';
import { FrameNode } from './FrameNode';
import { NoteNode } from './NoteNode';
import { EdgeRoutes, RoutedEdge } from './RoutedEdge';
import { KIND_MIME } from './Palette';

// Module level: a new object per render would make React Flow remount every node.
const nodeTypes: NodeTypes = { block: BlockNode, note: NoteNode, frame: FrameNode };
// Every edge is routed around the blocks it does not connect (components/RoutedEdge.tsx).
const edgeTypes: EdgeTypes = { default: RoutedEdge };

const isValidConnection: IsValidConnection = (c: Edge | Connection) =>
  !!c.sourceHandle &&
  !!c.targetHandle &&
  connectionProblem(studio.getState().doc, { source: c.source, sourceHandle: c.sourceHandle, target: c.target, targetHandle: c.targetHandle }) === null;

function onConnectEnd(_event: MouseEvent | TouchEvent, state: FinalConnectionState) {
  // Dropped on a port that refused: say why (the hint showed it while dragging; this stays a while).
  if (state.isValid !== false || !state.fromHandle || !state.toHandle) return;
  const problem = problemOfConnection(studio.getState().doc, state.fromHandle, state.toHandle);
  if (problem) studio.getState().notify(`Not connected: ${problem}.`, 'error');
}

/** Carries out fit / focus requests from the store (problems panel, loading a document). */
function useViewRequests(moved: React.RefObject<boolean>) {
  const rf = useReactFlow();
  const view = useStudio((s) => s.view);
  // A fit waits until every node is measured (a freshly loaded note has no size yet).
  const measured = useNodesInitialized();
  const handled = useRef(0);
  useEffect(() => {
    if (!view || view.nonce === handled.current || (view.kind === 'fit' && !measured)) return;
    // Wait a frame so nodes added by the same update are laid out.
    const frame = requestAnimationFrame(() => {
      handled.current = view.nonce;
      if (view.kind === 'fit') {
        moved.current = false;
        void rf.fitView({ padding: FIT_PADDING, duration: 250 });
        return;
      }
      moved.current = true; // a focused block stays in view when a panel opens
      const centreOf = (id: string) => {
        const node = rf.getInternalNode(id);
        if (!node) return undefined;
        const { x, y } = node.internals.positionAbsolute;
        return { x: x + (node.measured.width ?? 0) / 2, y: y + (node.measured.height ?? 0) / 2 };
      };
      let target: { x: number; y: number } | undefined;
      if (view.flowId) target = centreOf(view.flowId);
      else if (view.edgeId) {
        const edge = studio.getState().doc.edges.find((e) => e.id === view.edgeId);
        const a = edge && centreOf(edge.source);
        const b = edge && centreOf(edge.target);
        if (a && b) target = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
      }
      if (target) rf.setCenter(target.x, target.y, { zoom: view.keepZoom ? rf.getZoom() : Math.max(rf.getZoom(), 0.9), duration: 300 });
    });
    return () => cancelAnimationFrame(frame);
  }, [view, rf, measured, moved]);
}

export function Canvas() {
  const doc = useStudio((s) => s.doc);
  const selection = useStudio((s) => s.selection);
  const sizes = useStudio((s) => s.sizes);
  const diagnostics = useStudio((s) => s.diagnostics);
  const cache = useRef(new FlowNodeCache());
  const nodes = useMemo(() => toFlowNodes(doc, selection, sizes, cache.current), [doc, selection, sizes]);
  const broken = useMemo(() => new Set(diagnostics.flatMap((d) => (d.edgeId ? [d.edgeId] : []))), [diagnostics]);
  const edges = useMemo(() => toFlowEdges(doc, selection, broken), [doc, selection, broken]);
  const rf = useReactFlow();
  const moved = useRef(false);
  const { theme } = useTheme();
  useViewRequests(moved);
  // Blocks grow when a run's numbers arrive: keep them all in view then too.
  const running = useRuns((s) => !!s.attached);
  const { onNodesChange, onEdgesChange, connect } = studio.getState();

  const onDragOver = (event: React.DragEvent) => {
    const types = event.dataTransfer.types;
    if (types.includes(KIND_MIME) || types.includes('Files')) {
      event.preventDefault();
      event.dataTransfer.dropEffect = 'copy';
    }
  };
  const onDrop = async (event: React.DragEvent) => {
    const kind = event.dataTransfer.getData(KIND_MIME);
    if (kind) {
      event.preventDefault();
      const at = rf.screenToFlowPosition({ x: event.clientX, y: event.clientY });
      studio.getState().addNode(kind, { x: at.x - 110, y: at.y - 30 }); // drop point = top middle of the block
      return;
    }
    const file = event.dataTransfer.files[0];
    if (file) {
      event.preventDefault();
      studio.getState().openText(await file.text(), file.name);
    }
  };

  return (
    <div className="canvas" data-testid="canvas" onDragOver={onDragOver} onDrop={onDrop}>
      <EdgeRoutes edges={edges}>
        <ReactFlow
          nodes={nodes}
          edges={edges}
          nodeTypes={nodeTypes}
          edgeTypes={edgeTypes}
          onNodesChange={onNodesChange}
          onEdgesChange={onEdgesChange}
          onConnect={(c) => void connect(c)}
          isValidConnection={isValidConnection}
          onConnectEnd={onConnectEnd}
          onNodeDoubleClick={(_, node) => {
            if (parseFlowId(node.id).kind !== 'block') return;
            // A model block opens onto its insides; other blocks show their settings.
            if (registry.get((node.data as { type?: string }).type ?? '')?.composite) studio.getState().openModel(node.id);
            else studio.getState().setPanel('inspector');
          }}
          deleteKeyCode={null}
          selectionKeyCode="Shift"
          multiSelectionKeyCode={['Meta', 'Control']}
          colorMode={theme}
          onMoveStart={markUserMoves(moved)}
          fitView
          fitViewOptions={{ padding: FIT_PADDING }}
          minZoom={0.1}
          maxZoom={2.5}
          connectionRadius={24}
          defaultEdgeOptions={{ interactionWidth: 16 }}
        >
          <Background variant={BackgroundVariant.Dots} gap={20} size={1.2} color="var(--dots)" />
          {/* Only while some block is out of view: a fitted graph fills the corners. */}
          <PipelineMiniMap theme={theme} />
          <Controls position="top-left" showInteractive={false} fitViewOptions={{ padding: FIT_PADDING }} {...fitControls(moved)} />
          <ConnectionHint />
          <AutoFit moved={moved} watchSizes={running} />
        </ReactFlow>
      </EdgeRoutes>
    </div>
  );
}
