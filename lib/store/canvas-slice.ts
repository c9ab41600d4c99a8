// The canvas slice: React Flow's node and edge changes (moves, measured sizes, selection clicks),
// and the viewport requests the canvas carries out (fit, focus on a problem, reveal a block).
import type { XY } from '../document';
import * as edits from '../edits';
import { EMPTY_SELECTION, parseFlowId } from '../edits';
import { groupBounds } from '../flow';
import { HISTORY_LIMIT, type GetState, type Kernel, type SetState } from './kernel';
import type { CanvasSlice, StudioState } from './types';

export function canvasSlice(set: SetState, get: GetState, k: Kernel): CanvasSlice {
  return {
    sizes: {},
    view: null,

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
      if (dragging && !k.dragBase) k.dragBase = state.doc;
      if (k.dragBase) {
        // Mid-drag: move without history; the whole drag becomes one undo step when it ends.
        if (doc !== state.doc) extra.doc = doc;
        if (dragEnded) {
          const base = k.dragBase;
          k.dragBase = null;
          if (doc !== base) Object.assign(extra, { past: [...state.past, base].slice(-HISTORY_LIMIT), future: [] });
          k.forgetLastEdit();
        }
        if (Object.keys(extra).length) set(extra);
      } else {
        k.commit(doc, resized ? `resize:${resized}` : 'move', extra);
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

    focusProblem(d) {
      if (d.nodeId && d.innerNodeId && get().doc.nodes.some((n) => n.id === d.nodeId)) {
        // A problem inside a model block: open the block on the inner node.
        set({
          modelView: { modelId: d.nodeId, selected: d.innerNodeId },
          selection: { nodes: [d.nodeId], edges: [] },
          view: { nonce: k.nextNonce(), kind: 'fit' },
          panel: 'inspector',
        });
      } else if (d.nodeId && get().doc.nodes.some((n) => n.id === d.nodeId)) {
        if (get().modelView) set({ modelView: null });
        set({ selection: { nodes: [d.nodeId], edges: [] }, view: { nonce: k.nextNonce(), kind: 'focus', flowId: d.nodeId }, panel: 'inspector' });
      } else if (d.edgeId && get().doc.edges.some((e) => e.id === d.edgeId)) {
        set({ selection: { nodes: [], edges: [d.edgeId] }, view: { nonce: k.nextNonce(), kind: 'focus', edgeId: d.edgeId }, panel: 'inspector' });
      } else {
        // A document-level problem: the JSON tab shows where it is.
        set({ selection: EMPTY_SELECTION, panel: 'json' });
      }
    },

    requestFit() {
      set({ view: { nonce: k.nextNonce(), kind: 'fit' } });
    },

    reveal(flowId) {
      set({ view: { nonce: k.nextNonce(), kind: 'focus', flowId, keepZoom: true } });
    },
  };
}
