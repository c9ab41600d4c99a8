// The studio store's state and actions, shared by its slices (one file per concern beside this).
import type { Connection, EdgeChange, NodeChange } from '@xyflow/react';
import type { Diagnostic } from '../../engine/compiler/diagnostics';
import type { Fragment } from '../clipboard';
import type { Pipeline, XY } from '../document';
import type { ConnectionRequest, Selection } from '../edits';
import type { Size, StudioFlowNode } from '../flow';

/**
 * Live numbers for one block while a run goes (filled by the run view from run events):
 * latest value per metric, and recent history per metric for the block's sparkline.
 */
export interface LiveValues {
  metrics: Record<string, number>;
  series?: Record<string, number[]>;
}

export interface Notice {
  id: number;
  kind: 'info' | 'error';
  text: string;
}

/** Something the canvas should do with the viewport once (nonce tells repeats apart). */
export type ViewRequest = { nonce: number; kind: 'fit' } | { nonce: number; kind: 'focus'; flowId?: string; edgeId?: string; keepZoom?: boolean };

export type RightPanel = 'inspector' | 'json';

/** The document and its history: every edit is one named action, so undo sees all of them. */
export interface DocumentSlice {
  doc: Pipeline;
  past: Pipeline[];
  future: Pipeline[];
  /** Starts afresh with `doc` (boot, restore): no undo history, nothing selected. */
  resetTo(doc: Pipeline): void;
  loadDocument(doc: Pipeline, options?: { fit?: boolean; merge?: string }): void;
  openText(text: string, name: string): boolean;
  addNode(kind: string, position: XY): string;
  addNote(position: XY, text?: string): string;
  setParam(nodeId: string, key: string, value: unknown): void;
  /** Replaces a node's params (an edit inside the model block); `merge` joins edits of one gesture into one undo step. */
  setParams(nodeId: string, params: Record<string, unknown>, merge?: string): void;
  renameNode(from: string, to: string): string | null;
  setMeta(patch: Partial<Pipeline['meta']>): void;
  setTraining(patch: Partial<Pipeline['training']>): void;
  setSweep(sweep: Pipeline['sweep']): void;
  updateNote(id: string, patch: Partial<Omit<Pipeline['notes'][number], 'id'>>): void;
  updateGroup(id: string, patch: Partial<Omit<Pipeline['groups'][number], 'id'>>): void;
  ungroup(id: string): void;
  groupSelection(title?: string): string | null;
  connect(conn: Connection | ConnectionRequest): string | null;
  removeSelection(): void;
  /** Moves items to new positions (canvas ids → top-left corners) as one undo step, then fits the view. */
  /** Moves blocks to `positions` and fits the view; `merge` joins an edit with the same key made just before (one undo step). */
  arrange(positions: Map<string, XY>, merge?: string): void;
  undo(): void;
  redo(): void;
}

/** What is selected, and the clipboard it copies to. */
export interface SelectionSlice {
  selection: Selection;
  clipboard: Fragment | null;
  select(selection: Selection): void;
  selectAll(): void;
  copySelection(): boolean;
  paste(): void;
}

/** The canvas: measured sizes, React Flow's changes, and viewport requests. */
export interface CanvasSlice {
  /** Measured sizes of canvas items by canvas id (not history: they follow the DOM). */
  sizes: Record<string, Size>;
  view: ViewRequest | null;
  onNodesChange(changes: NodeChange<StudioFlowNode>[]): void;
  onEdgesChange(changes: EdgeChange[]): void;
  focusProblem(d: Diagnostic): void;
  requestFit(): void;
  /** Centres the canvas on an item at the current zoom (a block added off-screen). */
  reveal(flowId: string): void;
}

/** What surrounds the canvas: problems, live values, notices, the right panel and help. */
export interface UiSlice {
  diagnostics: Diagnostic[];
  live: Record<string, LiveValues>;
  notices: Notice[];
  panel: RightPanel;
  helpOpen: boolean;
  /** The model block opened on the canvas (its subgraph shown instead of the pipeline), and the inner block selected. */
  modelView: { modelId: string; selected: string | null } | null;
  openModel(modelId: string): void;
  closeModel(): void;
  selectInner(id: string | null): void;
  setDiagnostics(diagnostics: Diagnostic[]): void;
  setPanel(panel: RightPanel): void;
  setHelpOpen(open: boolean): void;
  setLive(nodeId: string, values: LiveValues): void;
  clearLive(): void;
  notify(text: string, kind?: Notice['kind']): void;
  dismiss(id: number): void;
}

export type StudioState = DocumentSlice & SelectionSlice & CanvasSlice & UiSlice;
