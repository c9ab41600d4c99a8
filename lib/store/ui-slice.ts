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
    modelView: null,

    openModel(modelId) {
      set({ modelView: { modelId, selected: null }, panel: 'inspector', view: { nonce: k.nextNonce(), kind: 'fit' } });
    },

    closeModel() {
      set({ modelView: null, view: { nonce: k.nextNonce(), kind: 'fit' } });
    },

    selectInner(id) {
      set((s) => (s.modelView ? { modelView: { ...s.modelView, selected: id }, ...(id ? { panel: 'inspector' as const } : {}) } : {}));
    },

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
