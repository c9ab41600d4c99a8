// The UI slice: the compiler's problems, live values, notices, the right panel's tab and help.
import type { GetState, Kernel, SetState } from './kernel';
import type { UiSlice } from './types';

export function uiSlice(set: SetState, _get: GetState, k: Kernel): UiSlice {
  return {
    diagnostics: [],
    live: {},
    notices: [],
    panel: 'inspector',
    helpOpen: false,

    setDiagnostics(diagnostics) {
      set({ diagnostics });
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

    notify: (text, kind) => k.notify(text, kind),

    dismiss(id) {
      set((s) => ({ notices: s.notices.filter((n) => n.id !== id) }));
    },
  };
}
