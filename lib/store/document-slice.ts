// The document slice: the pipeline and its undo history; every edit is a named action.
import { parseDocumentText } from '../document';
import * as edits from '../edits';
import { EMPTY_SELECTION, groupFlowId, noteFlowId, parseFlowId } from '../edits';
import type { GetState, Kernel, SetState } from './kernel';
import type { DocumentSlice } from './types';
import type { Pipeline } from '../document';

export function documentSlice(set: SetState, get: GetState, k: Kernel, initial: Pipeline): DocumentSlice {
  return {
    doc: initial,
    past: [],
    future: [],

    resetTo(doc) {
      k.forgetLastEdit();
      k.dragBase = null;
      set({ doc, past: [], future: [], selection: EMPTY_SELECTION, view: { nonce: k.nextNonce(), kind: 'fit' } });
    },

    loadDocument(doc, { fit = false, merge } = {}) {
      const selection = merge === undefined ? EMPTY_SELECTION : k.pruneSelection(doc, get().selection);
      k.commit(doc, merge, { selection, ...(fit ? { view: { nonce: k.nextNonce(), kind: 'fit' } } : {}) });
    },

    openText(text, name) {
      const result = parseDocumentText(text);
      if (!result.ok) {
        k.notify(`Could not open ${name}: ${result.message}. The canvas is unchanged.`, 'error');
        return false;
      }
      get().loadDocument(result.doc, { fit: true });
      const migrated = result.from < result.doc.version ? ` (upgraded from version ${result.from})` : '';
      k.notify(`Opened ${name}${migrated}.`);
      return true;
    },

    addNode(kind, position) {
      const { doc, id } = edits.addNode(get().doc, kind, position);
      k.commit(doc, undefined, { selection: { nodes: [id], edges: [] } });
      return id;
    },

    addNote(position, text) {
      const { doc, id } = edits.addNote(get().doc, position, text);
      k.commit(doc, undefined, { selection: { nodes: [noteFlowId(id)], edges: [] } });
      return id;
    },

    setParams(nodeId, params, merge) {
      k.commit(edits.replaceParams(get().doc, nodeId, params), merge);
    },

    setParam(nodeId, key, value) {
      k.commit(edits.setParam(get().doc, nodeId, key, value), `param:${nodeId}:${key}`);
    },

    renameNode(from, to) {
      const result = edits.renameNode(get().doc, from, to);
      if ('problem' in result) return result.problem;
      const { selection, sizes, live } = get();
      const swap = (id: string) => (id === from ? to : id);
      const moveKey = <T>(record: Record<string, T>) => {
        if (!(from in record)) return record;
        const { [from]: value, ...rest } = record;
        return { ...rest, [to]: value };
      };
      k.commit(result.doc, undefined, { selection: { ...selection, nodes: selection.nodes.map(swap) }, sizes: moveKey(sizes), live: moveKey(live) });
      return null;
    },

    setMeta(patch) {
      k.commit(edits.setMeta(get().doc, patch), `meta:${Object.keys(patch).join(',')}`);
    },

    setTraining(patch) {
      k.commit(edits.setTraining(get().doc, patch), `training:${Object.keys(patch).join(',')}`);
    },

    setSweep(sweep) {
      k.commit(edits.setSweep(get().doc, sweep), 'sweep');
    },

    updateNote(id, patch) {
      k.commit(edits.updateNote(get().doc, id, patch), `note:${id}`);
    },

    updateGroup(id, patch) {
      k.commit(edits.updateGroup(get().doc, id, patch), `group:${id}:${Object.keys(patch).join(',')}`);
    },

    ungroup(id) {
      const doc = edits.removeGroup(get().doc, id);
      k.commit(doc, undefined, { selection: k.pruneSelection(doc, get().selection) });
    },

    groupSelection(title) {
      const { doc, selection } = get();
      const blocks = selection.nodes.filter((id) => parseFlowId(id).kind === 'block');
      const result = edits.createGroup(doc, blocks, title);
      if ('problem' in result) {
        k.notify(`Cannot group: ${result.problem}.`, 'error');
        return null;
      }
      k.commit(result.doc, undefined, { selection: { nodes: [groupFlowId(result.id)], edges: [] } });
      return result.id;
    },

    connect(conn) {
      if (!conn.sourceHandle || !conn.targetHandle) return 'connect a port to a port';
      const request = { source: conn.source, sourceHandle: conn.sourceHandle, target: conn.target, targetHandle: conn.targetHandle };
      const result = edits.connect(get().doc, request);
      if ('problem' in result) {
        k.notify(`Not connected: ${result.problem}.`, 'error');
        return result.problem;
      }
      k.commit(result.doc);
      return null;
    },

    removeSelection() {
      const { doc, selection } = get();
      k.commit(edits.removeItems(doc, selection), undefined, { selection: EMPTY_SELECTION });
    },

    arrange(positions, merge) {
      k.commit(edits.moveItems(get().doc, positions), merge, { view: { nonce: k.nextNonce(), kind: 'fit' } });
    },

    undo() {
      const { past, future, doc, selection } = get();
      if (!past.length) return;
      const previous = past[past.length - 1];
      k.forgetLastEdit();
      set({ doc: previous, past: past.slice(0, -1), future: [doc, ...future], selection: k.pruneSelection(previous, selection) });
    },

    redo() {
      const { past, future, doc, selection } = get();
      if (!future.length) return;
      const next = future[0];
      k.forgetLastEdit();
      set({ doc: next, past: [...past, doc], future: future.slice(1), selection: k.pruneSelection(next, selection) });
    },
  };
}
