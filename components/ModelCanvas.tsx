// The canvas inside a model block: its subgraph drawn with the same blocks as the pipeline
// (the repeated transformer block as a frame "× N"), wires checked by the engine's port rule,
// params edited in the inspector, and a breadcrumb back to the pipeline.
import {
  Background,
  BackgroundVariant,
  ControlButton,
  Controls,
  ReactFlow,
  type Connection,
  type Edge,
  type EdgeChange,
  type EdgeTypes,
  type FitViewOptions,
  type IsValidConnection,
  type NodeChange,
  type NodeTypes,
  useReactFlow,
  useStore,
} from '@xyflow/react';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import {
  connectInner,
  innerConnectionProblem,
  innerFlowEdges,
  innerFlowNodes,
  innerProblems,
  moveInner,
  readableViewport,
  removeInnerEdges,
  type InnerFlowNode,
} from '../lib/model-view';
import { studio, useStudio } from '../lib/store';
import { BlockNode } from './BlockNode';
import { useInsides } from './InsideView';
import { ModelViewContext, type ModelView } from './model-view-context';
import { useTheme } from './theme-mode';
import { EdgeRoutes, RoutedEdge } from './RoutedEdge';

/** Room around the fitted graph, the breadcrumb's above it (px). */
const FIT_PAD = { top: 56, bottom: 16, left: 48, right: 16 };
const FIT: FitViewOptions<InnerFlowNode> = {
  padding: { top: `${FIT_PAD.top}px`, bottom: `${FIT_PAD.bottom}px`, left: `${FIT_PAD.left}px`, right: `${FIT_PAD.right}px` },
};

const nodeTypes: NodeTypes = { block: BlockNode };
// Edges go around the blocks, as on the pipeline's canvas.
const edgeTypes: EdgeTypes = { default: RoutedEdge };

/**
 * Fits the view readably (lib/model-view.ts, readableViewport): the whole graph when its text
 * stays ≥ 11 px, else zoom 1 from the top of the model (its embedding first, as it reads), or
 * from the top of the repeated block when `layersFirst` (a run's inside view is on its layers).
 * Once the blocks are measured (then `fitted`: the first view is in place), and on the fit button.
 */
function useReadableFit(pane: React.RefObject<HTMLDivElement | null>, nodeIds: string[], layersFirst: boolean) {
  const flow = useReactFlow<InnerFlowNode>();
  // The provider is the pipeline canvas's too: ready once every block of this model is measured
  // (only this model's: an entry the pipeline canvas left behind must not hold the first view back).
  const ready = useStore((s) => nodeIds.length > 0 && nodeIds.every((id) => !!s.nodeLookup.get(id)?.measured.width));
  const fit = useCallback(() => {
    const nodes = flow.getNodes();
    const box = pane.current?.getBoundingClientRect();
    if (!nodes.length || !box) return;
    const graph = flow.getNodesBounds(nodes);
    const repeat = layersFirst ? nodes.find((n) => n.data.type === 'repeat' && !n.parentId) : undefined;
    const view = readableViewport(graph, repeat?.position.y ?? graph.y, box, FIT_PAD);
    void (view ? flow.setViewport(view) : flow.fitView(FIT));
  }, [flow, pane, layersFirst]);
  const done = useRef(false);
  const [fitted, setFitted] = useState(false);
  useEffect(() => {
    if (!ready || done.current) return;
    const frame = requestAnimationFrame(() => {
      done.current = true;
      fit();
      setFitted(true);
    });
    return () => cancelAnimationFrame(frame);
  }, [ready, fit]);
  return { fit, fitted };
}

/** React Flow's fit icon (four corners). */
function FitIcon() {
  return (
    <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 30" aria-hidden>
      <path d="M3.692 4.63c0-.53.4-.938.939-.938h5.215V0H4.708C2.13 0 0 2.054 0 4.63v5.216h3.692V4.631zM27.354 0h-5.2v3.692h5.17c.53 0 .984.4.984.939v5.215H32V4.631A4.624 4.624 0 0027.354 0zm.954 24.83c0 .532-.4.94-.939.94h-5.215v3.768h5.215c2.577 0 4.631-2.13 4.631-4.707v-5.139h-3.692v5.139zm-23.677.94c-.531 0-.939-.4-.939-.94v-5.138H0v5.139c0 2.577 2.13 4.707 4.708 4.707h5.138V25.77H4.631z" />
    </svg>
  );
}

/** The breadcrumb's note during a run: the step of the inside view shown, or why there is none. */
function insideNote({ view, every }: NonNullable<ModelView['insides']>): string {
  if (view) return `inside view at step ${view.step} · ${view.layers} layer${view.layers === 1 ? '' : 's'}${every ? ` · every ${every} steps` : ''}`;
  return every ? `inside view at step 1, then every ${every} steps` : 'inside view off (inspect_every 0 on the model)';
}

function modelParams(modelId: string) {
  return studio.getState().doc.nodes.find((n) => n.id === modelId)?.params;
}

export function ModelCanvas({ modelId }: { modelId: string }) {
  const model = useStudio((s) => s.doc.nodes.find((n) => n.id === modelId));
  const selected = useStudio((s) => s.modelView?.selected ?? null);
  const diagnostics = useStudio((s) => s.diagnostics);
  const { theme } = useTheme();
  const problems = useMemo(() => innerProblems(diagnostics, modelId), [diagnostics, modelId]);
  const broken = useMemo(
    () => new Set(problems.filter((d) => ['type-mismatch', 'cycle', 'missing-residual'].includes(d.code)).map((d) => d.innerNodeId!)),
    [problems],
  );
  const nodes = useMemo(() => (model ? innerFlowNodes(model, selected) : []), [model, selected]);
  const edges = useMemo(() => (model ? innerFlowEdges(model, broken) : []), [model, broken]);
  const insides = useInsides(model);
  const context = useMemo(() => ({ modelId, insides }), [modelId, insides]);
  const pane = useRef<HTMLDivElement>(null);
  const { fit, fitted } = useReadableFit(
    pane,
    useMemo(() => nodes.map((n) => n.id), [nodes]),
    !!insides?.view,
  );
  if (!model) return null;

  const isValidConnection: IsValidConnection = (c: Edge | Connection) => {
    const params = modelParams(modelId);
    return (
      !!params &&
      !!c.sourceHandle &&
      !!c.targetHandle &&
      innerConnectionProblem(params, { source: c.source, sourceHandle: c.sourceHandle, target: c.target, targetHandle: c.targetHandle }) === null
    );
  };
  const onConnect = (c: Connection) => {
    const params = modelParams(modelId);
    if (!params || !c.sourceHandle || !c.targetHandle) return;
    const wire = { source: c.source, sourceHandle: c.sourceHandle, target: c.target, targetHandle: c.targetHandle };
    const problem = innerConnectionProblem(params, wire);
    if (problem) studio.getState().notify(`Not connected: ${problem}.`, 'error');
    else studio.getState().setParams(modelId, connectInner(params, wire));
  };
  const onNodesChange = (changes: NodeChange<InnerFlowNode>[]) => {
    let params = modelParams(modelId);
    for (const change of changes) {
      if (!params) return;
      if (change.type === 'position' && change.position) params = moveInner(params, change.id, change.position);
      if (change.type === 'select' && change.selected) studio.getState().selectInner(change.id);
    }
    if (params && params !== modelParams(modelId)) studio.getState().setParams(modelId, params, `move:${modelId}`);
  };
  const onEdgesChange = (changes: EdgeChange[]) => {
    const removed = changes.flatMap((c) => (c.type === 'remove' ? [c.id] : []));
    const params = modelParams(modelId);
    if (removed.length && params) studio.getState().setParams(modelId, removeInnerEdges(params, removed));
  };

  return (
    <div ref={pane} className="canvas model-canvas" data-testid="model-canvas" data-inside-step={insides?.view?.step} data-view-ready={fitted || undefined}>
      <nav className="breadcrumb" data-testid="model-breadcrumb">
        <button type="button" className="link" data-testid="model-back" onClick={() => studio.getState().closeModel()}>
          ← Pipeline
        </button>
        <span className="muted">/</span>
        <b>{modelId}</b>
        <span className="muted small">
          {problems.length
            ? `${problems.length} problem${problems.length > 1 ? 's' : ''} inside`
            : insides
              ? insideNote(insides)
              : 'the model inside: parameter names follow the block ids'}
        </span>
      </nav>
      <ModelViewContext.Provider value={context}>
        <EdgeRoutes edges={edges}>
          <ReactFlow
            nodes={nodes}
            edges={edges}
            nodeTypes={nodeTypes}
            edgeTypes={edgeTypes}
            onNodesChange={onNodesChange}
            onEdgesChange={onEdgesChange}
            onConnect={onConnect}
            isValidConnection={isValidConnection}
            onPaneClick={() => studio.getState().selectInner(null)}
            deleteKeyCode={['Backspace', 'Delete']}
            colorMode={theme}
            minZoom={0.1}
            maxZoom={2.5}
            connectionRadius={24}
          >
            <Background variant={BackgroundVariant.Dots} gap={20} size={1.2} color="var(--dots)" />
            <Controls position="top-left" showInteractive={false} showFitView={false}>
              {/* Its own fit button: React Flow's fits the whole model, whatever the text size. */}
              <ControlButton className="react-flow__controls-fitview" onClick={fit} title="Fit view (readable)" aria-label="Fit view">
                <FitIcon />
              </ControlButton>
            </Controls>
          </ReactFlow>
        </EdgeRoutes>
      </ModelViewContext.Provider>
    </div>
  );
}
