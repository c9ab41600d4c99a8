// What the store's slices share: committing a document as one undo step (or merged into the last
// one), the drag in progress, and the nonce that tells viewport requests and notices apart. Kept
// out of the state so changes to it render nothing.
import type { StoreApi } from 'zustand/vanilla';
import type { Pipeline } from '../document';
import { groupFlowId, noteFlowId, type Selection } from '../edits';
import type { Notice, StudioState } from './types';

/** Steps of undo kept. */
export const HISTORY_LIMIT = 200;
/** Edits with the same merge key within this window are one undo step (typing a number). */
export const MERGE_WINDOW_MS = 1500;

export type SetState = StoreApi<StudioState>['setState'];
export type GetState = StoreApi<StudioState>['getState'];

export interface Kernel {
  /** Makes `next` the document, as one undo step (or merged into the last one with the same key). */
  commit(next: Pipeline, merge?: string, extra?: Partial<StudioState>): void;
  /** Ends any merging: the next edit is its own undo step. */
  forgetLastEdit(): void;
  /** The document before the drag in progress (null: no drag). */
  dragBase: Pipeline | null;
  /** A fresh number for a viewport request or a notice. */
  nextNonce(): number;
  /** Drops selected ids that no longer exist (after undo, load, delete). */
  pruneSelection(doc: Pipeline, selection: Selection): Selection;
  notify(text: string, kind?: Notice['kind']): void;
}

export function createKernel(set: SetState, get: GetState, now: () => number): Kernel {
  let lastEdit: { key: string; at: number } | null = null;
  let nonce = 0;
  const kernel: Kernel = {
    dragBase: null,
    commit(next, merge, extra = {}) {
      const { doc, past } = get();
      if (next === doc) {
        if (Object.keys(extra).length) set(extra);
        return;
      }
      const at = now();
      const merged = merge !== undefined && lastEdit?.key === merge && at - lastEdit.at < MERGE_WINDOW_MS;
      lastEdit = merge !== undefined ? { key: merge, at } : null;
      set({ doc: next, past: merged ? past : [...past, doc].slice(-HISTORY_LIMIT), future: [], ...extra });
    },
    forgetLastEdit() {
      lastEdit = null;
    },
    nextNonce: () => ++nonce,
    pruneSelection(doc, selection) {
      const ids = new Set([...doc.nodes.map((n) => n.id), ...doc.notes.map((n) => noteFlowId(n.id)), ...doc.groups.map((g) => groupFlowId(g.id))]);
      const edgeIds = new Set(doc.edges.map((e) => e.id));
      const nodes = selection.nodes.filter((id) => ids.has(id));
      const edges = selection.edges.filter((id) => edgeIds.has(id));
      return nodes.length === selection.nodes.length && edges.length === selection.edges.length ? selection : { nodes, edges };
    },
    notify(text, kind = 'info') {
      set((s) => ({ notices: [...s.notices.slice(-3), { id: ++nonce, kind, text }] }));
    },
  };
  return kernel;
}
