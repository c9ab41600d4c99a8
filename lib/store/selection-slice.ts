// The selection slice: what is selected, select all, and copy/paste through the store's clipboard.
import { copyFragment, pasteFragment } from '../clipboard';
import { EMPTY_SELECTION, noteFlowId } from '../edits';
import type { GetState, Kernel, SetState } from './kernel';
import type { SelectionSlice } from './types';

export function selectionSlice(set: SetState, get: GetState, k: Kernel): SelectionSlice {
  // Each paste of the same copy lands a little further down-right, so copies do not stack.
  let pastes = 0;
  return {
    selection: EMPTY_SELECTION,
    clipboard: null,

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
      k.commit(next, undefined, { selection: { nodes: ids, edges: [] } });
    },
  };
}
