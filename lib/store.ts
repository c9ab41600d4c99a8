// The studio's one store (zustand): the pipeline document is the source of truth; selection,
// measured sizes, diagnostics, live values and undo history sit beside it. Components select the
// slices they need; every edit goes through a named action, so undo sees all of them.
import type { Connection, EdgeChange, NodeChange } from '@xyflow/react';
import { useStore } from 'zustand';
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { Diagnostic } from '../engine/compiler/diagnostics';
import { copyFragment, pasteFragment, type Fragment } from './clipboard';
import { parseDocumentText, type Pipeline, type XY } from './document';
import * as edits from './edits';
import { EMPTY_SELECTION, groupFlowId, noteFlowId, parseFlowId, type Selection } from './edits';
import { groupBounds, type Size, type StudioFlowNode } from './flow';
import { SEED_DOCUMENT } from './templates';

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
export type ViewRequest =
  | { nonce: number; kind: 'fit' }
  | { nonce: number; kind: 'focus'; flowId?: string; edgeId?: string; keepZoom?: boolean };

export type RightPanel = 'inspector' | 'json';

export interface StudioState {
  doc: Pipeline;
  selection: Selection;
  /** Measured sizes of canvas items by canvas id (not history: they follow the DOM). */
  sizes: Record<string, Size>;
  diagnostics: Diagnostic[];
  live: Record<string, LiveValues>;
  past: Pipeline[];
  future: Pipeline[];
  clipboard: Fragment | null;
  notices: Notice[];
  view: ViewRequest | null;
  panel: RightPanel;
  helpOpen: boolean;

  /** Starts afresh with `doc` (boot, restore): no undo history, nothing selected. */
  resetTo(doc: Pipeline): void;
  loadDocument(doc: Pipeline, options?: { fit?: boolean; merge?: string }): void;
  openText(text: string, name: string): boolean;
  addNode(kind: string, position: XY): string;
  addNote(position: XY, text?: string): string;
  setParam(nodeId: string, key: string, value: unknown): void;
  renameNode(from: string, to: string): string | null;
  setMeta(patch: Partial<Pipeline['meta']>): void;
  setTraining(patch: Partial<Pipeline['training']>): void;
  setSweep(sweep: Pipeline['sweep']): void;
  updateNote(id: string, patch: Partial<Omit<Pipeline['notes'][number], 'id'>>): void;
  updateGroup(id: string, patch: Partial<Omit<Pipeline['groups'][number], 'id'>>): void;
  ungroup(id: string): void;
  groupSelection(title?: string): string | null;
  connect(conn: Connection | edits.ConnectionRequest): string | null;
  removeSelection(): void;
  select(selection: Selection): void;
  selectAll(): void;
  copySelection(): boolean;
  paste(): void;
  undo(): void;
  redo(): void;
  onNodesChange(changes: NodeChange<StudioFlowNode>[]): void;
  onEdgesChange(changes: EdgeChange[]): void;
  setDiagnostics(diagnostics: Diagnostic[]): void;
  focusProblem(d: Diagnostic): void;
  requestFit(): void;
  /** Centres the canvas on an item at the current zoom (a block added off-screen). */
  reveal(flowId: string): void;
  setPanel(panel: RightPanel): void;
  setHelpOpen(open: boolean): void;
  setLive(nodeId: string, values: LiveValues): void;
  clearLive(): void;
  notify(text: string, kind?: Notice['kind']): void;
  dismiss(id: number): void;
}

/** Steps of undo kept. */
export const HISTORY_LIMIT = 200;
/** Edits with the same merge key within this window are one undo step (typing a number). */
export const MERGE_WINDOW_MS = 1500;

/**
 * A store holding `doc`. The app uses the shared `studio`; tests make their own.
 * @example const store = createStudioStore(emptyDocument()); store.getState().addNode('clip', { x: 0, y: 0 });
 */
export function createStudioStore(initial: Pipeline = SEED_DOCUMENT, now: () => number = Date.now): StoreApi<StudioState> {
  // Bookkeeping that no component draws: kept out of the state so changes to it render nothing.
  let lastEdit: { key: string; at: number } | null = null;
  let dragBase: Pipeline | null = null;
  let pastes = 0;
  let nonce = 0;

  return createStore<StudioState>()((set, get) => {
    /** Makes `next` the document, as one undo step (or merged into the last one). */
    const commit = (next: Pipeline, merge?: string, extra: Partial<StudioState> = {}) => {
      const { doc, past } = get();
      if (next === doc) {
        if (Object.keys(extra).length) set(extra);
        return;
      }
      const at = now();
      const merged = merge !== undefined && lastEdit?.key === merge && at - lastEdit.at < MERGE_WINDOW_MS;
      lastEdit = merge !== undefined ? { key: merge, at } : null;
      set({ doc: next, past: merged ? past : [...past, doc].slice(-HISTORY_LIMIT), future: [], ...extra });
    };
    /** Drops selected ids that no longer exist (after undo, load, delete). */
    const pruneSelection = (doc: Pipeline, selection: Selection): Selection => {
      const ids = new Set([...doc.nodes.map((n) => n.id), ...doc.notes.map((n) => noteFlowId(n.id)), ...doc.groups.map((g) => groupFlowId(g.id))]);
      const edgeIds = new Set(doc.edges.map((e) => e.id));
      const nodes = selection.nodes.filter((id) => ids.has(id));
      const edges = selection.edges.filter((id) => edgeIds.has(id));
      return nodes.length === selection.nodes.length && edges.length === selection.edges.length ? selection : { nodes, edges };
    };
    const notify = (text: string, kind: Notice['kind'] = 'info') =>
      set((s) => ({ notices: [...s.notices.slice(-3), { id: ++nonce, kind, text }] }));

    return {
      doc: initial,
      selection: EMPTY_SELECTION,
      sizes: {},
      diagnostics: [],
      live: {},
      past: [],
      future: [],
      clipboard: null,
      notices: [],
      view: null,
      panel: 'inspector',
      helpOpen: false,

      resetTo(doc) {
        lastEdit = null;
        dragBase = null;
        set({ doc, past: [], future: [], selection: EMPTY_SELECTION, view: { nonce: ++nonce, kind: 'fit' } });
      },

      loadDocument(doc, { fit = false, merge } = {}) {
        const selection = merge === undefined ? EMPTY_SELECTION : pruneSelection(doc, get().selection);
        commit(doc, merge, { selection, ...(fit ? { view: { nonce: ++nonce, kind: 'fit' } } : {}) });
      },

      openText(text, name) {
        const result = parseDocumentText(text);
        if (!result.ok) {
          notify(`Could not open ${name}: ${result.message}. The canvas is unchanged.`, 'error');
          return false;
        }
        get().loadDocument(result.doc, { fit: true });
        const migrated = result.from < result.doc.version ? ` (upgraded from version ${result.from})` : '';
        notify(`Opened ${name}${migrated}.`);
        return true;
      },

      addNode(kind, position) {
        const { doc, id } = edits.addNode(get().doc, kind, position);
        commit(doc, undefined, { selection: { nodes: [id], edges: [] } });
        return id;
      },

      addNote(position, text) {
        const { doc, id } = edits.addNote(get().doc, position, text);
        commit(doc, undefined, { selection: { nodes: [noteFlowId(id)], edges: [] } });
        return id;
      },

      setParam(nodeId, key, value) {
        commit(edits.setParam(get().doc, nodeId, key, value), `param:${nodeId}:${key}`);
      },

      renameNode(from, to) {
        const result = edits.renameNode(get().doc, from, to);
        if ('problem' in result) return result.problem;
        const { selection, sizes, live } = get();
        const swap = (id: string) => (id === from ? to : id);
        const moveKey = <T,>(record: Record<string, T>) => {
          if (!(from in record)) return record;
          const { [from]: value, ...rest } = record;
          return { ...rest, [to]: value };
        };
        commit(result.doc, undefined, { selection: { ...selection, nodes: selection.nodes.map(swap) }, sizes: moveKey(sizes), live: moveKey(live) });
        return null;
      },

      setMeta(patch) {
        commit(edits.setMeta(get().doc, patch), `meta:${Object.keys(patch).join(',')}`);
      },

      setTraining(patch) {
        commit(edits.setTraining(get().doc, patch), `training:${Object.keys(patch).join(',')}`);
      },

      setSweep(sweep) {
        commit(edits.setSweep(get().doc, sweep), 'sweep');
      },

      updateNote(id, patch) {
        commit(edits.updateNote(get().doc, id, patch), `note:${id}`);
      },

      updateGroup(id, patch) {
        commit(edits.updateGroup(get().doc, id, patch), `group:${id}:${Object.keys(patch).join(',')}`);
      },

      ungroup(id) {
        const doc = edits.removeGroup(get().doc, id);
        commit(doc, undefined, { selection: pruneSelection(doc, get().selection) });
      },

      groupSelection(title) {
        const { doc, selection } = get();
        const blocks = selection.nodes.filter((id) => parseFlowId(id).kind === 'block');
        const result = edits.createGroup(doc, blocks, title);
        if ('problem' in result) {
          notify(`Cannot group: ${result.problem}.`, 'error');
          return null;
        }
        commit(result.doc, undefined, { selection: { nodes: [groupFlowId(result.id)], edges: [] } });
        return result.id;
      },

      connect(conn) {
        if (!conn.sourceHandle || !conn.targetHandle) return 'connect a port to a port';
        const request = { source: conn.source, sourceHandle: conn.sourceHandle, target: conn.target, targetHandle: conn.targetHandle };
        const result = edits.connect(get().doc, request);
        if ('problem' in result) {
          notify(`Not connected: ${result.problem}.`, 'error');
          return result.problem;
        }
        commit(result.doc);
        return null;
      },

      removeSelection() {
        const { doc, selection } = get();
        commit(edits.removeItems(doc, selection), undefined, { selection: EMPTY_SELECTION });
      },

      select(selection) {
        set({ selection });
      },

      selectAll() {
        const { doc } = get();
        set({ selection: { nodes: [...doc.nodes.map((n) => n.id), ...doc.notes.map((n) => noteFlowId(n.id))], edges: doc.edges.map((e) => e.id) } });
      },

      copySelection() {
        const fragment = copyFragment(get().doc, get().selection.nodes);
        if (!fragment) return false;
        pastes = 0;
        set({ clipboard: fragment });
        return true;
      },

      paste() {
        const { clipboard, doc } = get();
        if (!clipboard) return;
        pastes++;
        const { doc: next, ids } = pasteFragment(doc, clipboard, { x: 40 * pastes, y: 40 * pastes });
        commit(next, undefined, { selection: { nodes: ids, edges: [] } });
      },

      undo() {
        const { past, future, doc, selection } = get();
        if (!past.length) return;
        const previous = past[past.length - 1];
        lastEdit = null;
        set({ doc: previous, past: past.slice(0, -1), future: [doc, ...future], selection: pruneSelection(previous, selection) });
      },

      redo() {
        const { past, future, doc, selection } = get();
        if (!future.length) return;
        const next = future[0];
        lastEdit = null;
        set({ doc: next, past: [...past, doc], future: future.slice(1), selection: pruneSelection(next, selection) });
      },

      onNodesChange(changes) {
        const state = get();
        let doc = state.doc;
        let sizes = state.sizes;
        let selected: Set<string> | undefined;
        let dragging = false;
        let dragEnded = false;
        let resized: string | undefined;
        const positions = new Map<string, XY>();
        const movingFrames = new Map<string, XY>();
        for (const change of changes) {
          if (change.type === 'position') {
            if (change.dragging === true) dragging = true;
            if (change.dragging === false) dragEnded = true;
            if (!change.position) continue;
            const { kind, id } = parseFlowId(change.id);
            if (kind === 'group') movingFrames.set(id, change.position);
            else positions.set(change.id, change.position);
          } else if (change.type === 'dimensions' && change.dimensions) {
            const { kind, id } = parseFlowId(change.id);
            if (kind === 'group') continue; // a frame's size is computed from its blocks
            const { width, height } = change.dimensions;
            if (kind === 'note' && change.setAttributes) {
              doc = edits.updateNote(doc, id, { width: Math.round(width), height: Math.round(height) });
              resized = id;
            }
            const old = sizes[change.id];
            if (!old || old.width !== width || old.height !== height) sizes = { ...sizes, [change.id]: { width, height } };
          } else if (change.type === 'select') {
            selected ??= new Set(state.selection.nodes);
            if (change.selected) selected.add(change.id);
            else selected.delete(change.id);
          }
          // 'remove' is ignored: deleting goes through removeSelection (one undo step, edges too).
        }
        // A dragged frame moves its blocks; blocks dragged along with it are not moved twice.
        for (const [groupId, to] of movingFrames) {
          const group = doc.groups.find((g) => g.id === groupId);
          const from = group && groupBounds(group, doc, sizes);
          if (!group || !from) continue;
          group.nodeIds.forEach((id) => positions.delete(id));
          doc = edits.moveGroup(doc, groupId, { x: Math.round(to.x - from.x), y: Math.round(to.y - from.y) });
        }
        doc = edits.moveItems(doc, positions);

        const extra: Partial<StudioState> = {};
        if (sizes !== state.sizes) extra.sizes = sizes;
        if (selected) extra.selection = { ...state.selection, nodes: [...selected] };
        if (dragging && !dragBase) dragBase = state.doc;
        if (dragBase) {
          // Mid-drag: move without history; the whole drag becomes one undo step when it ends.
          if (doc !== state.doc) extra.doc = doc;
          if (dragEnded) {
            const base = dragBase;
            dragBase = null;
            if (doc !== base) Object.assign(extra, { past: [...state.past, base].slice(-HISTORY_LIMIT), future: [] });
            lastEdit = null;
          }
          if (Object.keys(extra).length) set(extra);
        } else {
          commit(doc, resized ? `resize:${resized}` : 'move', extra);
        }
      },

      onEdgesChange(changes) {
        let selected: Set<string> | undefined;
        for (const change of changes) {
          if (change.type !== 'select') continue;
          selected ??= new Set(get().selection.edges);
          if (change.selected) selected.add(change.id);
          else selected.delete(change.id);
        }
        if (selected) set({ selection: { ...get().selection, edges: [...selected] } });
      },

      setDiagnostics(diagnostics) {
        set({ diagnostics });
      },

      focusProblem(d) {
        if (d.nodeId && get().doc.nodes.some((n) => n.id === d.nodeId)) {
          set({ selection: { nodes: [d.nodeId], edges: [] }, view: { nonce: ++nonce, kind: 'focus', flowId: d.nodeId }, panel: 'inspector' });
        } else if (d.edgeId && get().doc.edges.some((e) => e.id === d.edgeId)) {
          set({ selection: { nodes: [], edges: [d.edgeId] }, view: { nonce: ++nonce, kind: 'focus', edgeId: d.edgeId }, panel: 'inspector' });
        } else {
          // A document-level problem: the JSON tab shows where it is.
          set({ selection: EMPTY_SELECTION, panel: 'json' });
        }
      },

      requestFit() {
        set({ view: { nonce: ++nonce, kind: 'fit' } });
      },

      reveal(flowId) {
        set({ view: { nonce: ++nonce, kind: 'focus', flowId, keepZoom: true } });
      },

      setPanel(panel) {
        set({ panel });
      },

      setHelpOpen(helpOpen) {
        set({ helpOpen });
      },

      setLive(nodeId, values) {
        set((s) => ({ live: { ...s.live, [nodeId]: values } }));
      },

      clearLive() {
        set({ live: {} });
      },

      notify,

      dismiss(id) {
        set((s) => ({ notices: s.notices.filter((n) => n.id !== id) }));
      },
    };
  });
}

/** The app's store. */
export const studio = createStudioStore();

/**
 * Reads a slice of the app's store; wrap object/array selectors in useShallow.
 * @example const doc = useStudio((s) => s.doc);
 */
export function useStudio<T>(selector: (state: StudioState) => T): T {
  return useStore(studio, selector);
}
