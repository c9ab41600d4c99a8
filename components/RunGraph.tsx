// A run's pipeline on a read-only canvas, its blocks showing what the run reported (replayed from
// the run's stored events, then live while it trains). Nothing here edits the studio's document.
import {
  applyNodeChanges,
  Background,
  BackgroundVariant,
  Controls,
  ReactFlow,
  ReactFlowProvider,
  type NodeChange,
  type NodeProps,
  type EdgeTypes,
  type NodeTypes,
} from '@xyflow/react';
import { memo, useEffect, useMemo, useRef, useState } from 'react';
import type { Pipeline } from '../lib/document';
import { EMPTY_SELECTION } from '../lib/edits';
import { toFlowEdges, toFlowNodes, type FrameFlowNode, type NoteFlowNode, type StudioFlowNode } from '../lib/flow';
import { AutoFit, FIT_PADDING, fitControls, PipelineMiniMap, markUserMoves } from './AutoFit';
import { BlockNode } from './BlockNode';
import { useTheme } from './theme-mode';
import { DEFAULT_FRAME_COLOR } from './FrameNode';
import { LiveRunContext } from './live-run';
import { Markdown } from './Markdown';
import { EdgeRoutes, RoutedEdge } from './RoutedEdge';

const ReadOnlyNote = memo(function ReadOnlyNote({ data }: NodeProps<NoteFlowNode>) {
  return (
    <div className="note" data-node-type="note" data-note-id={data.id}>
      <div className="note-body">{data.text.trim() ? <Markdown text={data.text} /> : null}</div>
    </div>
  );
});

const ReadOnlyFrame = memo(function ReadOnlyFrame({ data }: NodeProps<FrameFlowNode>) {
  return (
    <div className="frame" data-testid="group-frame" style={{ '--frame': data.color ?? DEFAULT_FRAME_COLOR } as React.CSSProperties}>
      <div className="frame-title">
        <span>{data.title || 'Group'}</span>
      </div>
    </div>
  );
});

// Module level: a new object per render would remount every node.
const nodeTypes: NodeTypes = { block: BlockNode, note: ReadOnlyNote, frame: ReadOnlyFrame };
// Edges go around the blocks, as on the studio's canvas.
const edgeTypes: EdgeTypes = { default: RoutedEdge };
const NO_BROKEN = new Set<string>();

export function RunGraph({ doc, runId }: { doc: Pipeline; runId: string }) {
  // React Flow measures the blocks through onNodesChange; nothing else changes them.
  const [nodes, setNodes] = useState<StudioFlowNode[]>(() => toFlowNodes(doc, EMPTY_SELECTION, {}));
  useEffect(() => setNodes(toFlowNodes(doc, EMPTY_SELECTION, {})), [doc]);
  const edges = useMemo(() => toFlowEdges(doc, EMPTY_SELECTION, NO_BROKEN), [doc]);
  const live = useMemo(() => ({ runId, editing: false }), [runId]);
  const moved = useRef(false);
  const { theme } = useTheme();
  return (
    <ReactFlowProvider>
      <LiveRunContext.Provider value={live}>
        <div className="canvas" data-testid="run-canvas">
          <EdgeRoutes edges={edges}>
            <ReactFlow
              nodes={nodes}
              edges={edges}
              nodeTypes={nodeTypes}
              edgeTypes={edgeTypes}
              onNodesChange={(changes: NodeChange<StudioFlowNode>[]) => setNodes((n) => applyNodeChanges(changes, n))}
              nodesDraggable={false}
              nodesConnectable={false}
              elementsSelectable={false}
              colorMode={theme}
              onMoveStart={markUserMoves(moved)}
              fitView
              fitViewOptions={{ padding: FIT_PADDING }}
              minZoom={0.1}
              maxZoom={2.5}
            >
              <Background variant={BackgroundVariant.Dots} gap={20} size={1.2} color="var(--dots)" />
              <PipelineMiniMap theme={theme} />
              <Controls position="top-left" showInteractive={false} fitViewOptions={{ padding: FIT_PADDING }} {...fitControls(moved)} />
              {/* Whole, and again as the replayed numbers make blocks grow. */}
              <AutoFit moved={moved} watchSizes />
            </ReactFlow>
          </EdgeRoutes>
        </div>
      </LiveRunContext.Provider>
    </ReactFlowProvider>
  );
}
