// The compared runs' pipelines drawn as one read-only canvas (the same blocks as the studio's):
// blocks a run changed are outlined and list their fields `old → new` per run, in the run's
// colour; blocks and wires only some runs have are marked added or removed. A run's graph is its
// effective one (hot edits written in), and each hot edit is listed on its block with its step.
import { Background, BackgroundVariant, Controls, ReactFlow, ReactFlowProvider, type NodeProps, type NodeTypes } from '@xyflow/react';
import { createContext, memo, useContext, useMemo, useRef } from 'react';
import { compareGraphs, editLabel, formatDiffValue, type BlockDiff, type HotEdit } from '../lib/compare';
import type { Pipeline } from '../lib/document';
import { EMPTY_SELECTION } from '../lib/edits';
import { toFlowEdges, toFlowNodes, type BlockFlowNode } from '../lib/flow';
import { AutoFit, fitControls, markUserMoves } from './AutoFit';
import { BlockNode } from './BlockNode';
import { LiveRunContext } from './live-run';

interface DiffRun {
  label: string;
  color: string;
}

const DiffContext = createContext<{ blocks: Record<string, BlockDiff>; runs: DiffRun[] }>({ blocks: {}, runs: [] });

const runNames = (runs: DiffRun[], indexes: number[]) => indexes.map((i) => runs[i]?.label ?? `run ${i + 1}`).join(', ');

const DiffBlock = memo(function DiffBlock(props: NodeProps<BlockFlowNode>) {
  const { blocks, runs } = useContext(DiffContext);
  const diff = blocks[props.id];
  const status = diff?.status ?? 'same';
  const showEdits = diff && diff.edits.length > 0;
  return (
    <div className={`diff-block diff-${status}`} data-diff={status} data-diff-node={props.id}>
      <BlockNode {...props} />
      {diff && status !== 'same' && (
        <ul className="diff-changes" data-testid="diff-changes">
          {diff.changes.map((c, i) => (
            <li key={i} title={runs[c.run]?.label}>
              <i className="swatch-dot" style={{ background: runs[c.run]?.color }} />
              <b>{c.field}</b> <span className="diff-old">{formatDiffValue(c.old)}</span> → <span className="diff-new">{formatDiffValue(c.new)}</span>
            </li>
          ))}
          {status === 'added' && <li className="muted">not in {runNames(runs, diff.missingIn)}</li>}
          {status === 'removed' && <li className="muted">removed in {runNames(runs, diff.missingIn)}</li>}
        </ul>
      )}
      {showEdits && (
        <ul className="diff-changes diff-edits" data-testid="diff-edits">
          {diff.edits.map(({ run, edit }, i) => (
            <li key={i} title={`hot edit of ${runs[run]?.label ?? `run ${run + 1}`}`} data-testid="diff-edit">
              <i className="swatch-dot" style={{ background: runs[run]?.color }} />
              <span className="diff-edit-mark">✎</span> {editLabel(edit)}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
});

const nodeTypes: NodeTypes = { block: DiffBlock };
const NO_BROKEN = new Set<string>();
const NOT_LIVE = { runId: null, editing: false };
const FIT = { padding: 0.06 };

export function GraphDiff({ docs, edits, runs }: { docs: Pipeline[]; edits: (HotEdit[] | undefined)[]; runs: DiffRun[] }) {
  const comparison = useMemo(() => compareGraphs(docs, edits), [docs, edits]);
  const union = useMemo(() => ({ ...comparison.union, notes: [], groups: [] }), [comparison]);
  const nodes = useMemo(() => toFlowNodes(union, EMPTY_SELECTION, {}), [union]);
  const edges = useMemo(
    () =>
      toFlowEdges(union, EMPTY_SELECTION, NO_BROKEN).map((e) => {
        const status = comparison.edges[e.id];
        return status
          ? { ...e, className: `edge-${status}`, style: { ...e.style, stroke: status === 'added' ? '#16a34a' : '#dc2626', strokeDasharray: '6 4' } }
          : e;
      }),
    [union, comparison],
  );
  const changed = Object.values(comparison.blocks).filter((b) => b.status !== 'same').length;
  const context = useMemo(() => ({ blocks: comparison.blocks, runs }), [comparison, runs]);
  // Fitted again as the lists under the blocks grow (hot edits arrive with the runs' streams).
  const moved = useRef(false);
  return (
    <section className="graph-diff" data-testid="graph-diff" data-identical={comparison.identical}>
      <div className="overlay-head">
        <h2>What differs</h2>
        <span className="muted small">
          {comparison.identical
            ? `The ${docs.length === 2 ? 'two' : docs.length} runs train identical graphs${edits.some((e) => e?.length) ? ' (with the same hot edits)' : ''}.`
            : `${changed} block${changed === 1 ? ' differs' : 's differ'} from ${runs[0]?.label ?? 'the first run'} (outlined; added wires green, removed red).`}
        </span>
      </div>
      <div className="graph-diff-canvas">
        <DiffContext.Provider value={context}>
          <LiveRunContext.Provider value={NOT_LIVE}>
            <ReactFlowProvider>
              <ReactFlow
                nodes={nodes}
                edges={edges}
                nodeTypes={nodeTypes}
                fitView
                fitViewOptions={FIT}
                minZoom={0.2}
                nodesDraggable={false}
                nodesConnectable={false}
                elementsSelectable={false}
                proOptions={{ hideAttribution: true }}
                onMoveStart={markUserMoves(moved)}
              >
                <Background variant={BackgroundVariant.Dots} gap={18} size={1} />
                <Controls showInteractive={false} fitViewOptions={FIT} {...fitControls(moved)} />
                <AutoFit moved={moved} padding={FIT.padding} watchSizes />
              </ReactFlow>
            </ReactFlowProvider>
          </LiveRunContext.Provider>
        </DiffContext.Provider>
      </div>
    </section>
  );
}
